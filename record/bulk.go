package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// The bulk helpers write many rows with few statements, for loads and
// batch jobs. They work on rows, not records: they fire no model hooks or
// Set events, read no generated keys back, do not mark records as saved,
// and do not refresh records that a session already holds. Every map key
// and value is checked against the model (and converted to the field's
// type) before any SQL, and each call writes everything or nothing: its
// statements run in one transaction, joining the context's (a call that
// needs a single statement sends just that statement, atomic by itself).

// BulkOption configures a bulk helper: Progress, BatchSize.
type BulkOption func(*bulkConfig)

type bulkConfig struct {
	progress func(done, total int)
	batch    int
}

// Progress makes a bulk helper call fn after each statement with the
// number of rows written so far and the number to write in all, for long
// loads to report on.
func Progress(fn func(done, total int)) BulkOption {
	return func(c *bulkConfig) { c.progress = fn }
}

// BatchSize caps the rows of one multi-row statement (the keys of one
// bulk UPDATE); by default a statement holds as many rows as the
// dialect's parameter limit allows
// (builder.Dialect.MaxParams). Lower it for rows with large values, which
// can exceed a server's packet size first: on MySQL and MariaDB, BulkInsert
// refuses a statement over max_allowed_packet before sending it, with an
// error (session.ErrStatementTooLarge) that names the BatchSize that fits.
func BatchSize(rows int) BulkOption {
	return func(c *bulkConfig) { c.batch = rows }
}

func bulkOptions(opts []BulkOption) *bulkConfig {
	cfg := &bulkConfig{}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	return cfg
}

// Row is what BulkInsert and BulkInsertMany take: maps keyed by column (or
// Go field) name, or records of T.
type Row[T any] interface {
	map[string]any | *T
}

// BulkResult reports what BulkUpdate or BulkDiffUpdate did.
type BulkResult struct {
	Updated  int64        // rows the UPDATE statements matched
	Inserted int64        // rows the INSERT statements wrote
	Results  []sql.Result // one per statement, in the order they ran
}

// insertSet is the rows of one bulk insert that set the same columns.
type insertSet struct {
	cols []*registry.Column
	set  registry.ColumnSet // cols as a set
	vals []any              // len(cols) values per row, rows in order
	rows int
}

// orderedRow locates one input row: its set and its index in the set.
type orderedRow struct{ set, idx int }

// insertRows converts the rows of a bulk insert and groups them by the
// columns they set, in first-seen order. A record sets every column but an
// autoincrement key left zero and nullable columns with a default left
// nil, as Save does. A map sets its keys, and the zero value of the
// columns it lacks that have neither a default nor NULL to fall back on
// (as record.New would leave them); the others get their default or NULL.
func insertRows[T any, R Row[T]](m *registry.Model, rows []R) ([]*insertSet, []orderedRow, error) {
	g := &insertGroups{m: m, order: make([]orderedRow, 0, len(rows)), last: -1, capRows: len(rows)}
	var cols []*registry.Column
	var vals []any
	switch rs := any(rows).(type) {
	case []map[string]any:
		zeros := zeroValues(m)
		stamps := autoTimeValues(m)
		for _, c := range m.AutoTimes {
			zeros[meta.Pos(c)] = stamps[meta.Pos(c)] // a row without the column gets the time
		}
		for i, row := range rs {
			var err error
			cols, vals, err = mapRow(m, row, zeros, cols[:0], vals[:0])
			if err != nil {
				return nil, nil, fmt.Errorf("record: row %d: %w", i, err)
			}
			if stamps != nil {
				for j, c := range cols {
					if stamps[meta.Pos(c)] != nil && (vals[j] == nil || reflect.ValueOf(vals[j]).IsZero()) {
						vals[j] = stamps[meta.Pos(c)] // and so does one that gives a zero time
					}
				}
			}
			var set registry.ColumnSet
			for _, c := range cols {
				set.Add(meta.Pos(c))
			}
			s := g.row(set, cols)
			s.vals = append(s.vals, vals...)
		}
	case []*T:
		// Every column but those a zero value leaves out (optional).
		var all registry.ColumnSet
		var optional []*registry.Column
		for _, c := range m.Columns {
			all.Add(meta.Pos(c))
			if c.AutoIncrement || (c.HasDefault && c.Nullable) {
				optional = append(optional, c)
			}
		}
		for i, p := range rs {
			if p == nil {
				return nil, nil, fmt.Errorf("record: bulk insert of %s: record %d is nil", m.Name, i)
			}
			up := unsafe.Pointer(p)
			stampTimes(m, up, true, nil)
			set := all
			for _, c := range optional {
				if meta.IsZero(c, up) {
					set.Remove(meta.Pos(c))
				}
			}
			s := g.row(set, nil)
			for _, c := range s.cols {
				s.vals = append(s.vals, meta.Value(c, up))
			}
		}
	}
	return g.sets, g.order, nil
}

// insertGroups groups the rows of one bulk insert by the columns they set
// (insertRows).
type insertGroups struct {
	m       *registry.Model
	sets    []*insertSet
	bySet   map[registry.ColumnSet]int
	order   []orderedRow
	last    int // the set of the row before, which the next row usually shares; -1 for none
	capRows int // rows in the call: the first set's capacity
}

// row returns the set of the columns in set for one more row and counts
// the row in it. A new set takes cols (in column order; copied), or when
// cols is nil the columns of set.
func (g *insertGroups) row(set registry.ColumnSet, cols []*registry.Column) *insertSet {
	idx, ok := g.last, g.last >= 0 && g.sets[g.last].set == set
	if !ok {
		idx, ok = g.bySet[set]
	}
	if !ok {
		if cols == nil {
			for _, c := range g.m.Columns {
				if set.Has(meta.Pos(c)) {
					cols = append(cols, c)
				}
			}
		} else {
			cols = append([]*registry.Column(nil), cols...)
		}
		idx = len(g.sets)
		s := &insertSet{cols: cols, set: set}
		if idx == 0 {
			s.vals = make([]any, 0, g.capRows*len(cols)) // usually every row
		}
		g.sets = append(g.sets, s)
		if g.bySet == nil {
			g.bySet = map[registry.ColumnSet]int{}
		}
		g.bySet[set] = idx
	}
	g.last = idx
	s := g.sets[idx]
	g.order = append(g.order, orderedRow{idx, s.rows})
	s.rows++
	return s
}

// zeroValues holds, by column position, the zero value that an insert of
// a map writes for a missing column, or nil where the column's default or
// NULL applies.
func zeroValues(m *registry.Model) []any {
	zeros := make([]any, len(m.Columns))
	for i, c := range m.Columns {
		if !c.Nullable && !c.HasDefault && !c.AutoIncrement {
			zeros[i] = reflect.Zero(c.Type).Interface()
		}
	}
	return zeros
}

// mapRow converts a map of column (or field) names to values into the
// columns it sets, in column order, and their values of the fields' types;
// with zeros (see zeroValues) it adds the columns an insert must set. An
// unknown key, a column given twice or a value that does not fit is an
// error naming the model and field.
func mapRow(m *registry.Model, row map[string]any, zeros []any, cols []*registry.Column, vals []any) ([]*registry.Column, []any, error) {
	start := len(cols)
	if len(row) <= len(m.Columns) {
		// Fast path: every key is a column name, one lookup per column.
		matched := 0
		for _, c := range m.Columns {
			v, ok := row[c.Name]
			if !ok {
				if zeros != nil && zeros[meta.Pos(c)] != nil {
					cols = append(cols, c)
					vals = append(vals, zeros[meta.Pos(c)])
				}
				continue
			}
			matched++
			if v == nil || reflect.TypeOf(v) != c.Type { // columnValue's own test, without the call
				var err error
				if v, err = columnValue(m, c, v); err != nil {
					return nil, nil, err
				}
			}
			cols = append(cols, c)
			vals = append(vals, v)
		}
		if matched == len(row) {
			return cols, vals, nil
		}
		cols, vals = cols[:start], vals[:start]
	}
	matched := 0
	for _, c := range m.Columns {
		v, ok := row[c.Name]
		if c.Field != c.Name {
			if fv, fok := row[c.Field]; fok {
				if ok {
					return nil, nil, &FieldError{Model: m.Name, Field: c.Field, Column: c.Name, Err: errDuplicateKey}
				}
				v, ok = fv, true
			}
		}
		if !ok {
			if zeros != nil && zeros[meta.Pos(c)] != nil {
				cols = append(cols, c)
				vals = append(vals, zeros[meta.Pos(c)])
			}
			continue
		}
		matched++
		cv, err := columnValue(m, c, v)
		if err != nil {
			return nil, nil, err
		}
		cols = append(cols, c)
		vals = append(vals, cv)
	}
	if matched < len(row) {
		for k := range row {
			if _, ok := m.Column(k); !ok {
				return nil, nil, unknownColumn(m, k)
			}
		}
	}
	return cols, vals, nil
}

// rowReader converts the maps of one bulk call as mapRow does, into an
// array by column position. It looks columns up by the key strings of the
// first map it reads: maps built alike (from one literal, or cloned) share
// those strings, and a lookup by the map's own string compares no bytes.
type rowReader struct {
	m       *registry.Model
	names   []string // column names by position
	adopted bool
}

func newRowReader(m *registry.Model) *rowReader {
	r := &rowReader{m: m, names: make([]string, len(m.Columns))}
	for k, c := range m.Columns {
		r.names[k] = c.Name
	}
	return r
}

// adopt takes the map's own strings for the column names it holds.
func (r *rowReader) adopt(row map[string]any) {
	r.adopted = true
	if len(row) > len(r.names) || len(r.names) > 64 {
		return
	}
	for key := range row {
		for k, name := range r.names {
			if name == key {
				r.names[k] = key
				break
			}
		}
	}
}

// read converts row as mapRow does into vals, by column position,
// marking in has, when not nil, the columns the row names. Without has,
// vals must be all nil on entry and stay nil where the row lacks a column;
// with has, only the entries has marks are set, the others hold what they
// held. It fails as mapRow fails.
func (r *rowReader) read(row map[string]any, vals []any, has []bool) error {
	m := r.m
	if !r.adopted {
		r.adopt(row)
	}
	clear(has)
	if len(row) <= len(m.Columns) {
		// mapRow's fast path, without its slices.
		matched := 0
		for k, c := range m.Columns {
			v, ok := row[r.names[k]]
			if !ok {
				continue
			}
			matched++
			if v == nil || reflect.TypeOf(v) != c.Type {
				var err error
				if v, err = columnValue(m, c, v); err != nil {
					return err
				}
			}
			vals[k] = v
			if has != nil {
				has[k] = true
			}
		}
		if matched == len(row) {
			return nil
		}
		clear(vals)
		clear(has)
	}
	cols, cv, err := mapRow(m, row, nil, nil, nil)
	if err != nil {
		return err
	}
	for j, c := range cols {
		vals[meta.Pos(c)] = cv[j]
		if has != nil {
			has[meta.Pos(c)] = true
		}
	}
	return nil
}

// hasColumn reports whether row names column c (by column or field name),
// as mapRow reads it.
func hasColumn(m *registry.Model, row map[string]any, c *registry.Column) bool {
	cols, _, err := mapRow(m, row, nil, nil, nil)
	return err == nil && indexOf(cols, c) >= 0
}

// insertSQL is INSERT INTO t (cols) VALUES (...), (...) with rows rows.
func insertSQL(d builder.Dialect, m *registry.Model, cols []*registry.Column, rows int) string {
	if len(cols) == 0 {
		return "INSERT INTO " + d.Quote(m.Table) + " " + d.DefaultValues()
	}
	head := "INSERT INTO " + d.Quote(m.Table) + " (" + sqlgen.ColumnList(d, cols) + ") VALUES "
	b := make([]byte, 0, len(head)+rows*len(cols)*4)
	b = append(b, head...)
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		for j := range cols {
			if j > 0 {
				b = append(b, ", "...)
			}
			n++
			b = sqlgen.AppendPlaceholder(b, d, n)
		}
		b = append(b, ')')
	}
	return string(b)
}

// BulkInsert inserts rows of T with multi-row INSERT statements, each as
// large as the dialect's parameter limit allows (see BatchSize), and
// returns the number of rows written. rows are maps keyed by column (or Go
// field) name, or records; rows that set different columns go into
// different statements, so rows are inserted grouped by the columns they
// set, in first-seen order. The type of the model must be given:
// record.BulkInsert[User](ctx, rows).
//
// It is the original's bulk_insert; like every bulk helper it fires no
// hooks and reads no generated keys back (use SaveAll for that).
func BulkInsert[T any, R Row[T]](ctx context.Context, rows []R, opts ...BulkOption) (int64, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return 0, err
	}
	cfg := bulkOptions(opts)
	sets, _, err := insertRows[T](m, rows)
	if err != nil {
		return 0, err
	}
	if len(sets) == 0 {
		return 0, nil
	}
	p := &progress{fn: cfg.progress, total: len(rows)}
	if statements(c.Dialect(), cfg, sets) == 1 {
		// One statement is atomic by itself: no transaction to open.
		n, _, err := runInserts(ctx, c, m, cfg, sets, p, false)
		return n, err
	}
	var n int64
	err = inTx(ctx, c, func(ctx context.Context) error {
		var err error
		n, _, err = runInserts(ctx, c, m, cfg, sets, p, false)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// rowsPerInsert is the number of rows one INSERT of ncol columns holds:
// as many as the dialect's parameter limit allows, capped by BatchSize.
func rowsPerInsert(d builder.Dialect, cfg *bulkConfig, ncol int) int {
	if ncol == 0 {
		return 1 // DEFAULT VALUES inserts one row
	}
	per := max(1, d.MaxParams()/ncol)
	if cfg.batch > 0 {
		per = min(per, cfg.batch)
	}
	return per
}

// statements is the number of INSERTs runInserts sends for sets.
func statements(d builder.Dialect, cfg *bulkConfig, sets []*insertSet) int {
	n := 0
	for _, s := range sets {
		per := rowsPerInsert(d, cfg, len(s.cols))
		n += (s.rows + per - 1) / per
	}
	return n
}

type progress struct {
	fn          func(done, total int)
	done, total int
}

func (p *progress) add(n int) {
	p.done += n
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}

// runInserts writes the sets with multi-row INSERTs. It returns the rows
// written and, when keep is set, each statement's result.
func runInserts(ctx context.Context, c *session.Client, m *registry.Model, cfg *bulkConfig, sets []*insertSet, p *progress, keep bool) (int64, []sql.Result, error) {
	d := c.Dialect()
	var total int64
	var results []sql.Result
	for _, s := range sets {
		ncol := len(s.cols)
		per := rowsPerInsert(d, cfg, ncol)
		for start := 0; start < s.rows; start += per {
			k := min(per, s.rows-start)
			text, cached := insertTexts.text(d, m, s, k)
			args := s.vals[start*ncol : (start+k)*ncol]
			if err := checkSize(c, ctx, text, args); err != nil {
				return 0, nil, tooLarge(m, k, err)
			}
			if !cached {
				insertTexts.remember(d, m, s, k, text) // sent: prepared when it runs again
			}
			if !keep {
				// A plain INSERT writes every row or fails.
				if err := writeOn(c, ctx, cached, text, args); err != nil {
					return 0, nil, wrapArgs(m, "insert", s.cols, nil, err)
				}
				total += int64(k)
				p.add(k)
				continue
			}
			res, err := execOn(c, ctx, cached, text, args)
			if err != nil {
				return 0, nil, wrapArgs(m, "insert", s.cols, nil, err)
			}
			total += affected(res, k)
			results = append(results, res)
			p.add(k)
		}
	}
	return total, results, nil
}

// insertTexts are the multi-row INSERTs run lately.
var insertTexts = textSet{max: 256}

// textSet remembers the multi-row INSERTs run lately by their shape
// (model, dialect, columns, rows), with their texts, which are then not
// built again; and it says when a text runs a second time (a row count
// that repeats: a loader's fixed chunks, the full batches of a large
// insert), which then goes through the client's statement cache: prepared
// once, instead of sent whole and parsed on every call (on MySQL with
// interpolateParams, every value formatted into the text as well). A row
// count met once is not prepared: it would evict a useful statement from
// the cache and hold one of the server's prepared statements
// (max_prepared_stmt_count) for nothing. The cache bounds what is prepared
// (StatementCacheSize per connection), the dialect's parameter limit
// (MaxParams, 65535 on MySQL and PostgreSQL) what one statement holds. The
// set forgets everything when it holds max shapes: a text then has to
// repeat again to be prepared again.
type textSet struct {
	max  int
	mu   sync.Mutex
	seen map[insertShape]string
}

// insertShape is what an INSERT's text depends on.
type insertShape struct {
	m       *registry.Model
	dialect string
	set     registry.ColumnSet
	rows    int
}

func (s *textSet) forget() {
	s.mu.Lock()
	s.seen = nil
	s.mu.Unlock()
}

// text returns the INSERT of k rows of set in d, and whether it was run
// before (then it is prepared).
func (s *textSet) text(d builder.Dialect, m *registry.Model, set *insertSet, k int) (string, bool) {
	s.mu.Lock()
	t, ok := s.seen[insertShape{m, d.Name(), set.set, k}]
	s.mu.Unlock()
	if ok {
		return t, true
	}
	return insertSQL(d, m, set.cols, k), false
}

// remember records that the INSERT text of k rows of set in d runs.
func (s *textSet) remember(d builder.Dialect, m *registry.Model, set *insertSet, k int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil || len(s.seen) >= s.max {
		s.seen = make(map[insertShape]string, s.max)
	}
	s.seen[insertShape{m, d.Name(), set.set, k}] = text
}

// tooLarge explains a statement of rows rows that the server would refuse
// for its size, with the BatchSize that fits.
func tooLarge(m *registry.Model, rows int, err error) error {
	var se *session.StatementSizeError
	if !errors.As(err, &se) {
		return wrapDB(m, "insert", err)
	}
	fit := int64(rows) * se.Max / se.Size * 9 / 10 // a tenth to spare: rows differ in size
	if rows == 1 || fit < 1 {
		err = fmt.Errorf("one row of about %d bytes is more than the server accepts; raise its max_allowed_packet (%d bytes): %w", se.Size, se.Max, se)
	} else {
		err = fmt.Errorf("%d rows in one statement of about %d bytes are more than the server accepts (max_allowed_packet, %d bytes); lower the rows per statement with record.BatchSize(%d) or less, or raise max_allowed_packet: %w",
			rows, se.Size, se.Max, fit, se)
	}
	return &DBError{Model: m.Name, Op: "insert", Err: err}
}

func affected(res sql.Result, fallback int) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return int64(fallback)
	}
	return n
}

// BulkInsertMany inserts rows of T one by one with a single-row INSERT
// prepared once (per set of columns) and reused, all in one transaction,
// and returns the number of rows written: the original's bulk_insert_many
// (DBAPI executemany). Rows are inserted in input order. Rows are as for
// BulkInsert; BulkInsert is usually faster, this suits drivers and servers
// that limit statement size.
func BulkInsertMany[T any, R Row[T]](ctx context.Context, rows []R, opts ...BulkOption) (int64, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return 0, err
	}
	cfg := bulkOptions(opts)
	sets, order, err := insertRows[T](m, rows)
	if err != nil {
		return 0, err
	}
	if len(order) == 0 {
		return 0, nil
	}
	p := &progress{fn: cfg.progress, total: len(rows)}
	var total int64
	err = inTx(ctx, c, func(ctx context.Context) error {
		stmts := make([]*session.Stmt, len(sets))
		defer func() {
			for _, st := range stmts {
				if st != nil {
					st.Close()
				}
			}
		}()
		d := c.Dialect()
		for _, o := range order {
			s := sets[o.set]
			st := stmts[o.set]
			if st == nil {
				var err error
				if st, err = c.Prepare(ctx, insertSQL(d, m, s.cols, 1)); err != nil {
					return wrapDB(m, "insert", err)
				}
				stmts[o.set] = st
			}
			ncol := len(s.cols)
			res, err := st.Exec(ctx, s.vals[o.idx*ncol:(o.idx+1)*ncol]...)
			if err != nil {
				return wrapDB(m, "insert", err)
			}
			total += affected(res, 1)
			p.add(1)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
