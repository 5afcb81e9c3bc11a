package record

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// resolveKeyColumns resolves the key columns of a bulk update.
func resolveKeyColumns(m *registry.Model, names []string) ([]*registry.Column, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("record: bulk update of %s: no key columns", m.Name)
	}
	cols, err := m.MustColumns(names...)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		for j := range i {
			if cols[i] == cols[j] {
				return nil, fmt.Errorf("record: bulk update of %s: key column %q given twice", m.Name, cols[i].Name)
			}
		}
	}
	return cols, nil
}

// update is one row of a bulk update: the values of its key columns and
// of the columns it sets, in column order.
type updateRow struct {
	key  []any
	cols []*registry.Column
	vals []any
}

// updateGroup is the rows of a bulk update that set the same columns to
// the same values.
type updateGroup struct {
	cols []*registry.Column
	vals []any
	keys [][]any
}

// groupUpdates groups rows by the columns they set and the values they set
// them to, in first-seen order. Unlike the original, the order of a map's
// keys plays no part.
func groupUpdates(rows []updateRow) []*updateGroup {
	var groups []*updateGroup
	index := map[string]int{}
	var b []byte
	for _, r := range rows {
		b = b[:0]
		for j, c := range r.cols {
			b = appendCanonical(append(b, byte(meta.Pos(c)>>8), byte(meta.Pos(c))), r.vals[j])
		}
		gi, ok := index[string(b)]
		if !ok {
			gi = len(groups)
			index[string(b)] = gi
			groups = append(groups, &updateGroup{cols: r.cols, vals: r.vals})
		}
		groups[gi].keys = append(groups[gi].keys, r.key)
	}
	return groups
}

// splitUpdate converts a map of a bulk update into its key values and the
// columns it sets. A row without every key column is an error.
func splitUpdate(m *registry.Model, keyCols []*registry.Column, row map[string]any) (updateRow, bool, error) {
	cols, vals, err := mapRow(m, row, nil, nil, nil)
	if err != nil {
		return updateRow{}, false, err
	}
	u := updateRow{key: make([]any, len(keyCols))}
	found := 0
	for j, c := range cols {
		if ki := indexOf(keyCols, c); ki >= 0 {
			u.key[ki] = vals[j]
			found++
			continue
		}
		u.cols = append(u.cols, c)
		u.vals = append(u.vals, vals[j])
	}
	return u, found == len(keyCols), nil
}

// stamp adds to the row the autoupdate columns autoUpdated names for the
// columns it sets, valued from stamps (autoTimeValues: one time for the
// whole bulk update), keeping its columns in column order.
func (u *updateRow) stamp(m *registry.Model, stamps []any) {
	for _, c := range autoUpdated(m, func(c *registry.Column) bool { return indexOf(u.cols, c) >= 0 }) {
		i := 0
		for i < len(u.cols) && meta.Pos(u.cols[i]) < meta.Pos(c) {
			i++
		}
		u.cols = slices.Insert(u.cols, i, c)
		u.vals = slices.Insert(u.vals, i, stamps[meta.Pos(c)])
	}
}

func indexOf(cols []*registry.Column, c *registry.Column) int {
	for i, x := range cols {
		if x == c {
			return i
		}
	}
	return -1
}

// differ compares the rows of a BulkDiffUpdate with the previous rows.
type differ struct {
	m        *registry.Model
	keyCols  []*registry.Column
	key      []any // the current row's key
	prevVals []any // the previous rows, converted, by column position
	idx      *prevIndex
	kinds    []byte // diffKinds
	isKey    []bool // by column position
	rr       *rowReader

	cols []*registry.Column // the columns the current row changes
	vals []any              // and their new values

	// The updates' columns, values and keys share these arrays.
	arenaCols []*registry.Column
	arenaVals []any
}

// quick compares a row in the common case: its keys are column names and
// its values of their fields' types, so that nothing needs converting,
// and it has a previous row. It sets cols and vals to the changes and
// returns true; it returns false, and sets nothing that counts, for any
// other row, which the general path (rowReader.read, as mapRow) handles.
func (d *differ) quick(row map[string]any, at int) bool {
	m, names := d.m, d.rr.names
	n := len(m.Columns)
	if len(row) > n {
		return false
	}
	for ki, kc := range d.keyCols {
		v, ok := row[names[meta.Pos(kc)]]
		if !ok || v == nil || reflect.TypeOf(v) != kc.Type {
			return false
		}
		d.key[ki] = v
	}
	pi, ok := d.idx.find(d.key, at)
	if !ok {
		return false
	}
	old := d.prevVals[pi*n : (pi+1)*n : (pi+1)*n]
	d.cols, d.vals = d.cols[:0], d.vals[:0]
	matched := len(d.keyCols)
	for k, c := range m.Columns {
		if d.isKey[k] {
			continue
		}
		v, ok := row[names[k]]
		if !ok {
			continue
		}
		matched++
		if v == nil || reflect.TypeOf(v) != c.Type {
			return false
		}
		if !sameOfKind(d.kinds[k], old[k], v) {
			d.cols = append(d.cols, c)
			d.vals = append(d.vals, v)
		}
	}
	return matched == len(row)
}

// update returns the update of the current row: its changes (cols and
// vals) and key, stamped.
func (d *differ) update(stamps []any) updateRow {
	if d.arenaCols == nil {
		d.arenaCols = make([]*registry.Column, 0, 256)
		d.arenaVals = make([]any, 0, 256)
	}
	c, v := len(d.arenaCols), len(d.arenaVals)
	d.arenaCols = append(d.arenaCols, d.cols...)
	d.arenaVals = append(d.arenaVals, d.vals...)
	kv := len(d.arenaVals)
	d.arenaVals = append(d.arenaVals, d.key...)
	u := updateRow{cols: d.arenaCols[c:len(d.arenaCols):len(d.arenaCols)], vals: d.arenaVals[v:kv:kv], key: d.arenaVals[kv:len(d.arenaVals):len(d.arenaVals)]}
	u.stamp(d.m, stamps)
	return u
}

// prevIndex finds the previous rows of a BulkDiffUpdate by key; a key
// given twice finds its last row. Keys of one int64 column (the usual
// primary key) that come in increasing order, as rows read in key order
// do, are found by position or binary search; other int64 keys index a map
// of int64s, cheaper to hash than RowKeys; the rest a map of RowKeys.
// Every key of one call is converted to the key column's type first, so a
// key is an int64 in all rows or in none, and the three never disagree.
type prevIndex struct {
	sorted []int64 // while the keys are int64s in increasing order
	ints   map[int64]int
	keys   map[registry.RowKey]int
	n      int
}

func (x *prevIndex) add(key []any) {
	i := x.n
	x.n++
	k, isInt := key[0].(int64)
	isInt = isInt && len(key) == 1
	if isInt && x.ints == nil && len(x.sorted) == i && (i == 0 || x.sorted[i-1] < k) {
		x.sorted = append(x.sorted, k)
		return
	}
	if x.sorted != nil || x.ints == nil && isInt {
		x.ints = make(map[int64]int, len(x.sorted)+1)
		for j, s := range x.sorted {
			x.ints[s] = j
		}
		x.sorted = nil
	}
	if isInt {
		x.ints[k] = i
		return
	}
	if x.keys == nil {
		x.keys = make(map[registry.RowKey]int)
	}
	x.keys[registry.RowKeyOf(key...)] = i
}

// find returns the index of the previous row of key; at is where a row of
// the same list would be.
func (x *prevIndex) find(key []any, at int) (int, bool) {
	if k, isInt := key[0].(int64); isInt && len(key) == 1 {
		if x.ints == nil {
			if at < len(x.sorted) && x.sorted[at] == k {
				return at, true
			}
			i, ok := slices.BinarySearch(x.sorted, k)
			return i, ok
		}
		i, ok := x.ints[k]
		return i, ok
	}
	i, ok := x.keys[registry.RowKeyOf(key...)]
	return i, ok
}

// Field types that BulkDiffUpdate compares without sameValue's type
// switch (kindOther: with it).
const (
	kindOther byte = iota
	kindString
	kindInt64
	kindInt
)

// diffKinds returns the diffKind of each column, by position.
func diffKinds(m *registry.Model) []byte {
	out := make([]byte, len(m.Columns))
	for k, c := range m.Columns {
		switch c.Type {
		case reflect.TypeFor[string]():
			out[k] = kindString
		case reflect.TypeFor[int64]():
			out[k] = kindInt64
		case reflect.TypeFor[int]():
			out[k] = kindInt
		}
	}
	return out
}

// sameOfKind is sameValue, with a shortcut for two values of the type
// kind names.
func sameOfKind(kind byte, a, b any) bool {
	switch kind {
	case kindString:
		if x, ok := a.(string); ok {
			if y, ok := b.(string); ok {
				return x == y
			}
		}
	case kindInt64:
		if x, ok := a.(int64); ok {
			if y, ok := b.(int64); ok {
				return x == y
			}
		}
	case kindInt:
		if x, ok := a.(int); ok {
			if y, ok := b.(int); ok {
				return x == y
			}
		}
	}
	return sameValue(a, b)
}

// BulkUpdate updates rows of T in place, one UPDATE ... SET ... WHERE key
// IN (...) per group of rows that set the same columns to the same values:
// the original's bulk_common_update, grouped by content rather than by the
// order of each map's keys. keyColumns name the columns (column or field
// names; usually the primary key, composite keys included) that identify
// a row; each row must hold them all, and its other keys are the columns
// to set. A row with nothing to set is skipped; a row that sets something
// sets the model's autoupdate columns it does not name to the time of the
// call, as every UPDATE the library writes does. Groups run in first-seen
// order, split where the keys exceed the dialect's parameter limit.
//
// The result counts the rows the statements matched and holds each
// statement's result. As every bulk helper, it fires no hooks and does not
// refresh records the session holds.
func BulkUpdate[T any](ctx context.Context, keyColumns []string, rows []map[string]any, opts ...BulkOption) (*BulkResult, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return nil, err
	}
	keyCols, err := resolveKeyColumns(m, keyColumns)
	if err != nil {
		return nil, err
	}
	cfg := bulkOptions(opts)
	stamps := autoTimeValues(m)
	updates := make([]updateRow, 0, len(rows))
	for i, row := range rows {
		u, hasKey, err := splitUpdate(m, keyCols, row)
		if err != nil {
			return nil, fmt.Errorf("record: row %d: %w", i, err)
		}
		if !hasKey {
			return nil, fmt.Errorf("record: BulkUpdate of %s: row %d lacks key columns %v", m.Name, i, columnNames(keyCols))
		}
		if len(u.cols) > 0 {
			u.stamp(m, stamps)
			updates = append(updates, u)
		}
	}
	res := &BulkResult{}
	if len(updates) == 0 {
		return res, nil
	}
	groups := groupUpdates(updates)
	p := &progress{fn: cfg.progress, total: len(updates)}
	err = inTx(ctx, c, func(ctx context.Context) error {
		return runUpdates(ctx, c, m, cfg, keyCols, groups, p, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// bulkStmt is one statement of a bulk update.
type bulkStmt struct {
	text string
	args []any
	rows int
}

// runUpdates runs the groups' UPDATEs. Statements whose text recurs (small
// groups setting the same columns) are prepared once on the transaction.
func runUpdates(ctx context.Context, c *session.Client, m *registry.Model, cfg *bulkConfig, keyCols []*registry.Column, groups []*updateGroup, p *progress, res *BulkResult) error {
	d := c.Dialect()
	var stmts []bulkStmt
	uses := map[string]int{}
	texts := map[string]string{} // columns set and number of keys → SQL
	var tk []byte
	for _, g := range groups {
		per := max(1, (d.MaxParams()-len(g.cols))/len(keyCols))
		if cfg.batch > 0 {
			per = min(per, cfg.batch)
		}
		for start := 0; start < len(g.keys); start += per {
			keys := g.keys[start:min(start+per, len(g.keys))]
			tk = strconv.AppendInt(tk[:0], int64(len(keys)), 10)
			for _, c := range g.cols {
				tk = append(tk, ',', byte(meta.Pos(c)>>8), byte(meta.Pos(c)))
			}
			text, ok := texts[string(tk)]
			if !ok {
				text = updateSQL(d, m, g.cols, keyCols, len(keys))
				texts[string(tk)] = text
			}
			args := make([]any, 0, len(g.vals)+len(keys)*len(keyCols))
			args = append(args, g.vals...)
			for _, k := range keys {
				args = append(args, k...)
			}
			stmts = append(stmts, bulkStmt{text, args, len(keys)})
			uses[text]++
		}
	}
	prepared := map[string]*session.Stmt{}
	defer func() {
		for _, st := range prepared {
			st.Close()
		}
	}()
	for _, s := range stmts {
		var r sql.Result
		var err error
		if uses[s.text] > 1 {
			st := prepared[s.text]
			if st == nil {
				if st, err = c.Prepare(ctx, s.text); err != nil {
					return wrapDB(m, "update", err)
				}
				prepared[s.text] = st
			}
			r, err = st.Exec(ctx, s.args...)
		} else {
			r, err = c.Exec(ctx, s.text, s.args...)
		}
		if err != nil {
			return wrapDB(m, "update", err)
		}
		res.Updated += affected(r, s.rows)
		res.Results = append(res.Results, r)
		p.add(s.rows)
	}
	return nil
}

// updateSQL is UPDATE t SET a = ?, b = ? WHERE k IN (?, ...), or
// WHERE (k1, k2) IN ((?, ?), ...) for several key columns, for n keys.
func updateSQL(d builder.Dialect, m *registry.Model, set, keyCols []*registry.Column, n int) string {
	b := make([]byte, 0, 64+len(set)*16+n*len(keyCols)*5)
	b = append(b, "UPDATE "...)
	b = append(b, d.Quote(m.Table)...)
	b = append(b, " SET "...)
	ph := 0
	for j, c := range set {
		if j > 0 {
			b = append(b, ", "...)
		}
		b = append(b, d.Quote(c.Name)...)
		b = append(b, " = "...)
		ph++
		b = sqlgen.AppendPlaceholder(b, d, ph)
	}
	b = append(b, " WHERE "...)
	if len(keyCols) == 1 {
		b = append(b, d.Quote(keyCols[0].Name)...)
	} else {
		b = append(b, '(')
		b = append(b, sqlgen.ColumnList(d, keyCols)...)
		b = append(b, ')')
	}
	b = append(b, " IN ("...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		if len(keyCols) > 1 {
			b = append(b, '(')
		}
		for j := range keyCols {
			if j > 0 {
				b = append(b, ", "...)
			}
			ph++
			b = sqlgen.AppendPlaceholder(b, d, ph)
		}
		if len(keyCols) > 1 {
			b = append(b, ')')
		}
	}
	b = append(b, ')')
	return string(b)
}

// BulkDiffUpdate writes the difference between previous, the rows as they
// were read, and rows, the rows as they should be: the original's
// bulk_diff_update. Rows are matched by keyColumns (see BulkUpdate). A row
// with a previous row is updated in only the columns whose values changed
// (compared as values of the fields' types; a column missing from the
// previous row counts as NULL there, and columns missing from the row are
// left alone), grouped as BulkUpdate groups them, with the autoupdate
// columns as BulkUpdate sets them; a row that changed nothing is skipped. A row without a previous row (or without the key
// columns) is inserted as BulkInsert inserts it. Every previous row must
// hold the key columns.
//
// The result counts the rows updated and inserted and holds the result of
// every statement, updates first (the original returned only the insert's
// result when it ran both). Nothing to do runs no SQL.
func BulkDiffUpdate[T any](ctx context.Context, keyColumns []string, previous, rows []map[string]any, opts ...BulkOption) (*BulkResult, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return nil, err
	}
	keyCols, err := resolveKeyColumns(m, keyColumns)
	if err != nil {
		return nil, err
	}
	cfg := bulkOptions(opts)
	res := &BulkResult{}
	if len(rows) == 0 {
		return res, nil
	}
	stamps := autoTimeValues(m)
	n := len(m.Columns)
	// The previous rows, converted as mapRow converts them, share one
	// array by column position: row i's value of the column at position
	// k is prevVals[i*n+k], nil where the row lacks the column (which
	// counts as NULL). Keys of one int64 column (the usual primary key)
	// index a map of int64s, cheaper to hash than RowKeys (see prevIndex:
	// keys are converted to the key column's type first).
	prevVals := make([]any, len(previous)*n)
	idx := &prevIndex{}
	key := make([]any, len(keyCols))
	pr := newRowReader(m)
	for i, row := range previous {
		vals := prevVals[i*n : (i+1)*n : (i+1)*n]
		if err := pr.read(row, vals, nil); err != nil {
			return nil, fmt.Errorf("record: previous row %d: %w", i, err)
		}
		for ki, kc := range keyCols {
			key[ki] = vals[meta.Pos(kc)]
			if key[ki] == nil && !hasColumn(m, row, kc) {
				return nil, fmt.Errorf("record: BulkDiffUpdate of %s: previous row %d lacks key column %q", m.Name, i, kc.Name)
			}
		}
		idx.add(key)
	}
	var updates []updateRow
	var inserts []map[string]any
	d := &differ{m: m, keyCols: keyCols, key: key, prevVals: prevVals, idx: idx, kinds: diffKinds(m), isKey: make([]bool, n), rr: newRowReader(m)}
	for _, kc := range keyCols {
		d.isKey[meta.Pos(kc)] = true
	}
	cur := make([]any, n)  // the row, converted, by column position (where has is set)
	has := make([]bool, n) // the columns it names
	for i, row := range rows {
		if !d.rr.adopted {
			d.rr.adopt(row)
		}
		if d.quick(row, i) {
			if len(d.cols) > 0 {
				updates = append(updates, d.update(stamps))
			}
			continue
		}
		if err := d.rr.read(row, cur, has); err != nil {
			return nil, fmt.Errorf("record: row %d: %w", i, err)
		}
		found := 0
		for ki, kc := range keyCols {
			if has[meta.Pos(kc)] {
				key[ki] = cur[meta.Pos(kc)]
				found++
			}
		}
		pi, ok := -1, false
		if found == len(keyCols) {
			pi, ok = idx.find(key, i)
		}
		if !ok {
			inserts = append(inserts, row)
			continue
		}
		old := prevVals[pi*n : (pi+1)*n : (pi+1)*n]
		d.cols, d.vals = d.cols[:0], d.vals[:0]
		for k, c := range m.Columns {
			if has[k] && !d.isKey[k] && !sameOfKind(d.kinds[k], old[k], cur[k]) {
				d.cols = append(d.cols, c)
				d.vals = append(d.vals, cur[k])
			}
		}
		if len(d.cols) > 0 {
			updates = append(updates, d.update(stamps))
		}
	}
	var sets []*insertSet
	if len(inserts) > 0 {
		if sets, _, err = insertRows[T](m, inserts); err != nil {
			return nil, err
		}
	}
	if len(updates) == 0 && len(sets) == 0 {
		return res, nil
	}
	p := &progress{fn: cfg.progress, total: len(updates) + len(inserts)}
	err = inTx(ctx, c, func(ctx context.Context) error {
		if len(updates) > 0 {
			if err := runUpdates(ctx, c, m, cfg, keyCols, groupUpdates(updates), p, res); err != nil {
				return err
			}
		}
		if len(sets) > 0 {
			n, results, err := runInserts(ctx, c, m, cfg, sets, p, true)
			if err != nil {
				return err
			}
			res.Inserted = n
			res.Results = append(res.Results, results...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
