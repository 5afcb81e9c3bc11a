package session

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

// Table is a table of the live database as Reflect read it.
type Table struct {
	Name    string
	Columns []TableColumn
}

// TableColumn is one column of a reflected table.
type TableColumn struct {
	Name       string
	Type       string // the database's own type name
	NotNull    bool
	PrimaryKey bool
}

// CreateAll creates the table (and indexes) of every registered model that
// does not exist yet, parents before the tables whose foreign keys point at
// them. It never alters an existing table, so it is safe to call at every
// start. Given models (struct values or pointers), it registers them and
// creates only their tables, plus the join tables of many-to-many
// relations between them.
func (c *Client) CreateAll(ctx context.Context, models ...any) error {
	ordered, err := selectModels(models)
	if err != nil {
		return err
	}
	for _, m := range ordered {
		for _, stmt := range builder.For(c.dialect, m).CreateTable {
			stmt, err := c.tableCollation(ctx, stmt)
			if err != nil {
				return fmt.Errorf("session: create table %s for %s: %w", m.Table, m.Name, err)
			}
			if _, err := c.Exec(ctx, false, stmt); err != nil {
				return fmt.Errorf("session: create table %s for %s: %w", m.Table, m.Name, err)
			}
		}
	}
	return nil
}

// DropAll drops the table of every registered model that exists, children
// before parents. Tables of unregistered models are left alone. Given
// models, it drops only their tables.
func (c *Client) DropAll(ctx context.Context, models ...any) error {
	ordered, err := selectModels(models)
	if err != nil {
		return err
	}
	for i := len(ordered) - 1; i >= 0; i-- {
		m := ordered[i]
		if _, err := c.Exec(ctx, false, builder.For(c.dialect, m).DropTable); err != nil {
			return fmt.Errorf("session: drop table %s for %s: %w", m.Table, m.Name, err)
		}
	}
	c.tablesMu.Lock()
	c.tables = nil
	c.tablesMu.Unlock()
	return nil
}

// selectModels returns the given models (registering them), or every
// registered model when none is given, in foreign-key order.
func selectModels(models []any) ([]*registry.Model, error) {
	if len(models) == 0 {
		return fkOrder(registry.Models())
	}
	ms := make([]*registry.Model, 0, len(models))
	for _, v := range models {
		if err := registry.Register(v); err != nil {
			return nil, err
		}
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		m, err := registry.Lookup(t)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	// The join tables of many-to-many relations between the given models.
	ms = append(ms, registry.JoinModels(ms)...)
	return fkOrder(ms)
}

// fkOrder sorts models so that every table comes after the tables its
// foreign keys reference. A reference to a table that is not registered is
// left to the database to check; a cycle is an error.
func fkOrder(models []*registry.Model) ([]*registry.Model, error) {
	byTable := make(map[string]*registry.Model, len(models))
	for _, m := range models {
		byTable[m.Table] = m
	}
	sort.SliceStable(models, func(i, j int) bool { return models[i].Table < models[j].Table })
	const (
		visiting = 1
		done     = 2
	)
	state := map[*registry.Model]int{}
	var out []*registry.Model
	var visit func(m *registry.Model, path []string) error
	visit = func(m *registry.Model, path []string) error {
		switch state[m] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("session: foreign keys form a cycle: %v", append(path, m.Table))
		}
		state[m] = visiting
		for _, col := range m.Columns {
			if col.FK == nil || col.FK.Table == m.Table {
				continue
			}
			if parent, ok := byTable[col.FK.Table]; ok {
				if err := visit(parent, append(path, m.Table)); err != nil {
					return err
				}
			}
		}
		state[m] = done
		out = append(out, m)
		return nil
	}
	for _, m := range models {
		if err := visit(m, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Reflect reads the tables and columns of the live database; Tables then
// returns them. It changes nothing in the database.
func (c *Client) Reflect(ctx context.Context) error {
	ctx = Primary(ctx) // the schema as just created, not as replicated so far
	rows, err := c.Query(ctx, false, c.dialect.TablesSQL())
	if err != nil {
		return fmt.Errorf("session: reflect tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("session: reflect tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("session: reflect tables: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("session: reflect tables: %w", err)
	}
	tables := make(map[string]*Table, len(names))
	for _, n := range names {
		t := &Table{Name: n}
		rows, err := c.Query(ctx, false, c.dialect.ColumnsSQL(), n)
		if err != nil {
			return fmt.Errorf("session: reflect table %s: %w", n, err)
		}
		for rows.Next() {
			var col TableColumn
			if err := rows.Scan(&col.Name, &col.Type, &col.NotNull, &col.PrimaryKey); err != nil {
				rows.Close()
				return fmt.Errorf("session: reflect table %s: %w", n, err)
			}
			t.Columns = append(t.Columns, col)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("session: reflect table %s: %w", n, err)
		}
		tables[n] = t
	}
	c.tablesMu.Lock()
	c.tables = tables
	c.tablesMu.Unlock()
	return nil
}

// Tables returns the tables read by the last Reflect, by name; empty before
// the first Reflect.
func (c *Client) Tables() map[string]*Table {
	c.tablesMu.RLock()
	defer c.tablesMu.RUnlock()
	out := make(map[string]*Table, len(c.tables))
	for k, v := range c.tables {
		out[k] = v
	}
	return out
}

// Models returns the registered models by Go type name. When two packages
// register types of the same name, both are keyed by their full name
// ("pkg/path.Name") and the bare name is absent, as in the original.
func (c *Client) Models() map[string]*registry.Model {
	all := registry.Models()
	count := map[string]int{}
	for _, m := range all {
		count[m.Name]++
	}
	out := make(map[string]*registry.Model, len(all))
	for _, m := range all {
		if m.IsJoin() {
			continue // a join table, not a model of the program
		}
		if count[m.Name] > 1 {
			out[m.Type.PkgPath()+"."+m.Name] = m
		} else {
			out[m.Name] = m
		}
	}
	return out
}
