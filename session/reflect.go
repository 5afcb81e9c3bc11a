package session

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Index is an index or unique key of a reflected table.
type Index struct {
	Name    string   // as the database names it ("" where it has none)
	Columns []string // in index order; expression parts are left out
	Unique  bool
}

// ForeignKey is a foreign key of a reflected table.
type ForeignKey struct {
	Name       string   // the constraint's name; SQLite's are unnamed ("")
	Columns    []string // in key order
	RefTable   string
	RefColumns []string // the referenced columns, matching Columns
	OnDelete   string   // NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT
	OnUpdate   string
}

// reflectDetails fills in what Reflect reads beyond names, types and
// nullability: defaults, autoincrement columns, the primary key in key
// order, indexes and unique keys, and foreign keys.
func (c *Client) reflectDetails(ctx context.Context, t *Table) error {
	q := c.database.catalog()
	byName := make(map[string]*TableColumn, len(t.Columns))
	for i := range t.Columns {
		byName[t.Columns[i].Name] = &t.Columns[i]
	}
	// Defaults and autoincrement.
	if err := c.eachRow(ctx, q.columns, t.Name, func(rows *sql.Rows) error {
		var name string
		var def, collation, comment, onUpdate, collSchema sql.NullString
		var auto bool
		if err := rows.Scan(&name, &def, &auto, &collation, &comment, &onUpdate, &collSchema); err != nil {
			return err
		}
		col := byName[name]
		if col == nil {
			return nil
		}
		col.AutoIncrement = auto
		col.Collation, col.Comment, col.OnUpdate = collation.String, comment.String, onUpdate.String
		col.collationSchema = collSchema.String
		// MariaDB reports a column without a default, or DEFAULT NULL, as
		// the text NULL: the same thing.
		if def.Valid && !strings.EqualFold(def.String, "NULL") {
			col.Default, col.HasDefault = def.String, true
		}
		return nil
	}); err != nil {
		return err
	}
	// Indexes, the primary key among them.
	var cur *Index
	if err := c.eachRow(ctx, q.indexes, t.Name, func(rows *sql.Rows) error {
		var name string
		var column sql.NullString
		var unique, primary bool
		if err := rows.Scan(&name, &unique, &primary, &column); err != nil {
			return err
		}
		if primary {
			if column.Valid {
				t.PrimaryKey = append(t.PrimaryKey, column.String)
			}
			return nil
		}
		if cur == nil || cur.Name != name {
			t.Indexes = append(t.Indexes, Index{Name: name, Unique: unique})
			cur = &t.Indexes[len(t.Indexes)-1]
		}
		if column.Valid {
			cur.Columns = append(cur.Columns, column.String)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(t.PrimaryKey) == 0 { // SQLite's INTEGER PRIMARY KEY has no index; its pk order is in table_info
		if err := c.eachRow(ctx, q.primaryKey, t.Name, func(rows *sql.Rows) error {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			t.PrimaryKey = append(t.PrimaryKey, name)
			return nil
		}); err != nil {
			return err
		}
	}
	for _, ix := range t.Indexes {
		if ix.Unique {
			t.UniqueKeys = append(t.UniqueKeys, ix)
		}
	}
	if q.integerKeyIsRowid && len(t.PrimaryKey) == 1 {
		// INTEGER PRIMARY KEY is the rowid: generated when not given.
		if col := byName[t.PrimaryKey[0]]; col != nil && strings.EqualFold(col.Type, "INTEGER") {
			col.AutoIncrement = true
		}
	}
	// Foreign keys.
	var fk *ForeignKey
	if err := c.eachRow(ctx, q.foreignKeys, t.Name, func(rows *sql.Rows) error {
		var name, column, refTable, onDelete, onUpdate string
		var refColumn sql.NullString // SQLite: NULL for the parent's primary key
		if err := rows.Scan(&name, &column, &refTable, &refColumn, &onDelete, &onUpdate); err != nil {
			return err
		}
		if fk == nil || fk.Name != name {
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: name, RefTable: refTable,
				OnDelete: fkAction(onDelete), OnUpdate: fkAction(onUpdate)})
			fk = &t.ForeignKeys[len(t.ForeignKeys)-1]
		}
		fk.Columns = append(fk.Columns, column)
		fk.RefColumns = append(fk.RefColumns, refColumn.String)
		return nil
	}); err != nil {
		return err
	}
	for i := range t.ForeignKeys {
		fk := &t.ForeignKeys[i]
		if q.foreignKeyIDs {
			fk.Name = "" // the rows' id, only for grouping
			if fk.RefColumns[0] == "" {
				var pk []string
				if err := c.eachRow(ctx, q.primaryKey, fk.RefTable, func(rows *sql.Rows) error {
					var n string
					err := rows.Scan(&n)
					pk = append(pk, n)
					return err
				}); err != nil {
					return err
				}
				fk.RefColumns = pk
			}
		}
	}
	return nil
}

// eachRow runs a reflection query with the table name as its argument.
func (c *Client) eachRow(ctx context.Context, query, table string, fn func(*sql.Rows) error) error {
	rows, err := c.Query(ctx, query, table)
	if err != nil {
		return fmt.Errorf("session: reflect table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("session: reflect table %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("session: reflect table %s: %w", table, err)
	}
	return nil
}

// fkAction spells a referential action the same way on every dialect
// (PostgreSQL's catalog holds one letter).
func fkAction(a string) string {
	switch a {
	case "a":
		return "NO ACTION"
	case "r":
		return "RESTRICT"
	case "c":
		return "CASCADE"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	}
	return strings.ToUpper(a)
}

type reflectQueries struct {
	columns     string // name, default (NULL: none), autoincrement, collation, comment, on update, collation's schema when off the search path (NULL: none)
	indexes     string // index name, unique, primary, column (NULL for an expression), by index and position
	primaryKey  string // the primary key's columns in key order
	foreignKeys string // name, column, referenced table, referenced column, on delete, on update; by key and position

	integerKeyIsRowid bool // an INTEGER primary key of one column is generated when not given (SQLite's rowid)
	foreignKeyIDs     bool // foreignKeys names a key by a row id, not its name; a NULL referenced column is the parent's primary key
}
