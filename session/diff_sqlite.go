package session

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

// rebuild writes the table change that SQLite's ALTER TABLE cannot make
// the way SQLite documents it ("Making Other Kinds Of Table Schema
// Changes"): create the new table under another name, copy the rows, drop
// the old table, rename the new one, and create its indexes and triggers
// again: the model's indexes, and the triggers the table has now, as
// sqlite_master kept them (dropping the table drops its triggers; the plan
// names them). An AUTOINCREMENT table keeps its counter: DROP TABLE
// deletes the table's row of sqlite_sequence, so the counter is carried
// over to the new table before the drop, in the same transaction (else
// the key of a deleted last row would be handed out again). The runner supplies the rest of the
// procedure: foreign_keys off before the transaction, PRAGMA
// foreign_key_check before the commit, and foreign_keys on after it (see
// RunDDL). The Down statements rebuild the table again from the SQL that
// sqlite_master kept of it.
func (df *differ) rebuild(ctx context.Context, m *registry.Model, t *Table, changes []change, fkAdd []*registry.Column, fkDrop []*ForeignKey) error {
	var tableSQL string
	var others []string   // indexes and triggers of the table, as created
	var triggers []string // its triggers alone
	var triggerNames []string
	if err := df.c.eachRow(ctx, `SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC, name`, t.Name, func(rows *sql.Rows) error {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			return err
		}
		switch typ {
		case "table":
			tableSQL = text
		case "trigger":
			triggers = append(triggers, text)
			triggerNames = append(triggerNames, name)
			others = append(others, text)
		default:
			others = append(others, text)
		}
		return nil
	}); err != nil {
		return err
	}
	open := strings.IndexByte(tableSQL, '(')
	if open < 0 {
		return fmt.Errorf("session: diff table %s: cannot read its CREATE TABLE from sqlite_master", t.Name)
	}
	tmp := "_sqlservice_new_" + m.Table
	stmts := sqlgen.For(df.d, m).CreateTable
	create := stmts[0]
	mopen := strings.IndexByte(create, '(')
	newCreate := "CREATE TABLE " + df.q(tmp) + " " + create[mopen:]
	oldCreate := "CREATE TABLE " + df.q(tmp) + " " + tableSQL[open:]

	// The columns both shapes have, copied; a column that becomes NOT NULL
	// with a default takes the default where it held NULL.
	var cols, sel []string
	for _, c := range m.Columns {
		lc := (*TableColumn)(nil)
		for i := range t.Columns {
			if t.Columns[i].Name == c.Name {
				lc = &t.Columns[i]
			}
		}
		if lc == nil {
			continue
		}
		cols = append(cols, df.q(c.Name))
		if c.NotNull && !lc.NotNull && c.HasDefault {
			sel = append(sel, "COALESCE("+df.q(c.Name)+", "+c.Default+")")
		} else {
			sel = append(sel, df.q(c.Name))
		}
	}
	copyUp := "INSERT INTO " + df.q(tmp) + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(sel, ", ") + " FROM " + df.q(t.Name)
	// Back: a dropped NOT NULL column without a default comes back holding
	// its type's zero value; its values are gone.
	downCols, downSel := append([]string(nil), cols...), append([]string(nil), cols...)
	for _, lc := range t.Columns {
		if _, ok := m.Column(lc.Name); !ok && lc.NotNull && !lc.HasDefault {
			downCols = append(downCols, df.q(lc.Name))
			downSel = append(downSel, zeroLiteral(df.sd, lc.Type))
		}
	}
	copyDown := "INSERT INTO " + df.q(tmp) + " (" + strings.Join(downCols, ", ") + ") SELECT " + strings.Join(downSel, ", ") + " FROM " + df.q(t.Name)
	// swap replaces the table by tmp; when tmp (created by create) is an
	// AUTOINCREMENT table it first takes the larger of the two counters
	// (the RENAME then moves tmp's row of sqlite_sequence to the name).
	swap := func(create string) []string {
		var out []string
		if autoincrementTable.MatchString(create) {
			old, nw := sqliteString(t.Name), sqliteString(tmp)
			out = append(out,
				"UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ("+old+", "+nw+")) WHERE name = "+nw,
				"INSERT INTO sqlite_sequence (name, seq) SELECT "+nw+", seq FROM sqlite_sequence WHERE name = "+old+" AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = "+nw+")")
		}
		return append(out, "DROP TABLE "+df.q(t.Name), "ALTER TABLE "+df.q(tmp)+" RENAME TO "+df.q(t.Name))
	}
	up := append([]string{newCreate, copyUp}, swap(newCreate)...)
	up = append(up, stmts[1:]...)
	up = append(up, triggers...)
	down := append([]string{oldCreate, copyDown}, swap(oldCreate)...)
	down = append(down, others...)

	var what []string
	destr := len(fkDrop) > 0
	for _, ch := range changes {
		what = append(what, ch.desc)
		destr = destr || ch.destr
	}
	for _, fk := range fkDrop {
		what = append(what, fmt.Sprintf("drop foreign key (%s) -> %s", strings.Join(fk.Columns, ", "), fk.RefTable))
	}
	for _, c := range fkAdd {
		what = append(what, fmt.Sprintf("add foreign key %s.%s -> %s.%s", m.Table, c.Name, c.FK.Table, c.FK.Column))
	}
	if len(triggerNames) > 0 {
		what = append(what, "create trigger "+strings.Join(triggerNames, ", ")+" again")
	}
	// A trigger is created again as it was written: one that names a
	// column the rebuild drops is accepted by SQLite and fails each time
	// it fires. Its text is the application's to change; the plan says so.
	for i, text := range triggers {
		for _, lc := range t.Columns {
			if _, ok := m.Column(lc.Name); ok {
				continue
			}
			if regexp.MustCompile(`(?i)(^|[^\w$])` + regexp.QuoteMeta(lc.Name) + `($|[^\w$])`).MatchString(text) {
				df.plan.Notes = append(df.plan.Notes, fmt.Sprintf("table %s: trigger %s names column %s, which the rebuild drops: it is created again as it was and fails when it fires", m.Table, triggerNames[i], lc.Name))
			}
		}
	}
	df.plan.Steps = append(df.plan.Steps, Step{
		Table:       m.Table,
		Description: "rebuild table " + m.Table + ": " + strings.Join(what, "; "),
		Destructive: destr,
		Up:          up,
		Down:        down,
		Rebuild:     true,
	})
	return nil
}

// autoincrementTable matches a CREATE TABLE whose key is AUTOINCREMENT
// (SQLite's grammar puts the word right after PRIMARY KEY, its order and
// its conflict clause); only such a table has a row in sqlite_sequence,
// and sqlite_sequence exists once one such table does.
var autoincrementTable = regexp.MustCompile(`(?i)\bPRIMARY\s+KEY(\s+(ASC|DESC))?(\s+ON\s+CONFLICT\s+\w+)?\s+AUTOINCREMENT\b`)

// sqliteString is s as an SQL string literal, for the table names the
// rebuild compares with sqlite_sequence.name in statements that are
// written out as text (a plan, a migration file), so cannot bind them.
func sqliteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
