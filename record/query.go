package record

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// QuerySet is an immutable query of T: each method returns a new QuerySet
// and leaves the receiver as it was, so a half-built query can be reused.
// Errors in criteria or ordering (an unknown column, say) are kept and
// returned by the method that would run SQL, before any SQL is built.
type QuerySet[T any] struct {
	// Every field that changes the SQL text is part of the shape key of
	// sqlcache.go.
	ctx    context.Context
	m      *registry.Model
	c      *session.Client
	err    error
	where  []builder.Sqlizer
	order  []sqlgen.Order
	limit  uint64
	offset uint64
	hasLim bool
	sel    []*registry.Column // Select: the columns to load, key first; nil loads all
	joins  []join             // Join: the joined tables
	crit   []builder.Sqlizer  // criteria as given, resolved again when a join is added
	page   int                // Page: 1-based; ≤ 1 is the first page
	per    int                // PerPage: rows per page; ≤ 0 sets no limit

	pick     []pick            // Select as given, expressions too (aggregate.go); sel is nil when it holds more than T's columns
	distinct bool              // SELECT DISTINCT
	group    []colRef          // GROUP BY
	having   []builder.Sqlizer // HAVING, resolved as where is
	havCrit  []builder.Sqlizer // HAVING as given, resolved again when a join is added

	withDeleted bool // see soft-deleted rows too (softdelete.go)

	lock    *builder.Lock // ForUpdate and its kin (lock.go)
	preload []string      // relation paths to load with the rows (preload.go)
	hint    int           // rows expected when known (a preload's batch), for allocation; not SQL

	// pkKey, set by a preload's load for a model with a single integer
	// primary key, reads that key. Without another order, limit or offset,
	// the SELECT then has no ORDER BY and All puts the rows in primary-key
	// order itself (see unordered): the database need not sort them.
	pkKey keyFunc[int64]
}

// Page is one page of a paginated query.
type Page[T any] struct {
	Items   []*T
	Total   int64 // rows matching the query on all pages
	Page    int   // 1-based
	PerPage int
	Pages   int // number of pages; 0 when there are no rows
}

// Query starts a query of T using the client that ctx carries.
func Query[T any](ctx context.Context) *QuerySet[T] {
	q := &QuerySet[T]{ctx: ctx}
	q.m, q.err = registry.Of[T]()
	if q.err == nil {
		q.c, q.err = session.FromContext(ctx)
		q.withDeleted = q.m.SoftDelete != nil && purging(ctx)
	}
	return q
}

func (q *QuerySet[T]) clone() *QuerySet[T] {
	n := *q
	n.where = q.where[:len(q.where):len(q.where)]
	n.order = q.order[:len(q.order):len(q.order)]
	n.sel = q.sel[:len(q.sel):len(q.sel)]
	n.joins = q.joins[:len(q.joins):len(q.joins)]
	n.crit = q.crit[:len(q.crit):len(q.crit)]
	n.pick = q.pick[:len(q.pick):len(q.pick)]
	n.group = q.group[:len(q.group):len(q.group)]
	n.having = q.having[:len(q.having):len(q.having)]
	n.havCrit = q.havCrit[:len(q.havCrit):len(q.havCrit)]
	return &n
}

// Where adds criteria, all of which must hold: builder.Eq{"name": "x"},
// builder.Gt{"id": 10}, builder.Or{...}, ... Column names are checked
// against the model.
func (q *QuerySet[T]) Where(criteria ...builder.Sqlizer) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	for _, c := range criteria {
		r, err := n.resolve(c)
		if err != nil {
			n.err = err
			return n
		}
		n.where = append(n.where, r)
		n.crit = append(n.crit, c)
	}
	return n
}

// Search is Where under the original's name.
func (q *QuerySet[T]) Search(criteria ...builder.Sqlizer) *QuerySet[T] { return q.Where(criteria...) }

// OrderBy adds ORDER BY terms: "name", "-name" or "name DESC", "name ASC".
// Without any, queries are ordered by primary key. A name is a column of T
// or the AS name of an expression in the select list (Select with
// builder.Expr("SUM(total) AS spent"), then OrderBy("-spent")); any other
// name fails the query with a *registry.UnknownColumnError before it is
// sent.
func (q *QuerySet[T]) OrderBy(terms ...string) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	o, err := sqlgen.ParseOrderOrAlias(n.m, terms...)
	if err != nil {
		n.err = err
		return n
	}
	n.order = append(n.order, o...)
	return n
}

// Limit returns at most n rows.
func (q *QuerySet[T]) Limit(n int) *QuerySet[T] {
	c := q.clone()
	if n < 0 {
		c.err = fmt.Errorf("record: Limit(%d) of %s: must not be negative", n, q.name())
		return c
	}
	c.limit, c.hasLim = uint64(n), true
	return c
}

// Offset skips the first n rows.
func (q *QuerySet[T]) Offset(n int) *QuerySet[T] {
	c := q.clone()
	if n < 0 {
		c.err = fmt.Errorf("record: Offset(%d) of %s: must not be negative", n, q.name())
		return c
	}
	c.offset = uint64(n)
	return c
}

func (q *QuerySet[T]) name() string {
	if q.m != nil {
		return q.m.Name
	}
	var zero T
	return fmt.Sprintf("%T", zero)
}

func (q *QuerySet[T]) selectSQL() (string, []any, error) {
	return q.selectSQLOf(q.columnList())
}

// selectSQLOf is the query's SELECT of the given select list, with its
// criteria, order, limit and offset.
func (q *QuerySet[T]) selectSQLOf(columns string) (string, []any, error) {
	if q.unordered() {
		return q.selectSQLOrdered(columns, nil)
	}
	o := q.order
	if len(o) == 0 {
		o = pkOrder(q.m)
	}
	order, err := q.orderSQL(o)
	if err != nil {
		return "", nil, err
	}
	return q.selectSQLOrdered(columns, order)
}

// selectSQLOrdered is selectSQLOf with the ORDER BY terms given.
func (q *QuerySet[T]) selectSQLOrdered(columns string, order []string) (string, []any, error) {
	b := q.filtered(columns)
	if q.distinct {
		b = b.Distinct()
	}
	b = b.OrderBy(order...)
	b = q.limitOffset(b)
	lock, err := q.lockClause()
	if err != nil {
		return "", nil, err
	}
	if lock != "" {
		b = b.Suffix(lock)
	}
	return b.ToSql()
}

// limitOffset adds the query's LIMIT and OFFSET. OFFSET is a parameter, so
// that one text serves every page; LIMIT is part of the text, where SQLite
// runs it faster than a parameter (see sqlcache.go).
func (q *QuerySet[T]) limitOffset(b sq.SelectBuilder) sq.SelectBuilder {
	switch {
	case q.hasLim && q.offset > 0:
		b = b.Limit(q.limit).Suffix("OFFSET ?", q.offset)
	case q.hasLim:
		b = b.Limit(q.limit)
	case q.offset > 0 && !q.c.Dialect().OffsetNeedsLimit():
		b = b.Suffix("OFFSET ?", q.offset)
	case q.offset > 0:
		// SQLite and MySQL need a LIMIT before OFFSET.
		b = b.Suffix(fmt.Sprintf("LIMIT %d OFFSET ?", maxInt64), q.offset)
	}
	return b
}

func (q *QuerySet[T]) countSQL() (string, []any, error) {
	return q.filtered("COUNT(*)").ToSql()
}

// unordered reports whether the query's SELECT leaves out ORDER BY, All
// sorting the rows by primary key instead (pkKey).
func (q *QuerySet[T]) unordered() bool {
	return q.pkKey != nil && len(q.order) == 0 && !q.hasLim && q.offset == 0
}

func pkOrder(m *registry.Model) []sqlgen.Order {
	o := make([]sqlgen.Order, len(m.PK))
	for i, c := range m.PK {
		o[i] = sqlgen.Order{Column: c}
	}
	return o
}

// All returns every matching row.
func (q *QuerySet[T]) All() ([]*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	text, args, cached, err := q.sql(false)
	if err != nil {
		return nil, err
	}
	rows, err := queryOn(q.c, q.ctx, cached, text, args)
	if err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	hint := 16
	switch {
	case q.hasLim && q.limit < 1024:
		hint = int(q.limit)
	case q.hint > 0:
		hint = min(q.hint, 1024)
	}
	out := make([]*T, 0, hint)
	sc := q.scanner(hint)
	if q.unordered() {
		return q.allSorted(rows, sc, out)
	}
	if out, err = q.readRows(rows, sc.scan, out); err != nil {
		return nil, err
	}
	if len(q.preload) > 0 {
		if err := preloadRecords(q.ctx, q.c, q.m, out, q.preload); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// allSorted is the rest of All for an unordered SELECT: it reads every
// row, puts them in primary-key order, and only then finishes them (the
// identity map, snapshots, Load hooks), so that everything the caller and
// the hooks see comes in the order an ORDER BY of the key would give.
func (q *QuerySet[T]) allSorted(rows *sql.Rows, sc *scanner[T], out []*T) ([]*T, error) {
	out, err := q.readRows(rows, sc.read, out)
	if err != nil {
		return nil, err
	}
	sortByKey(out, q.pkKey)
	for i, p := range out {
		var err error
		if out[i], err = sc.finish(p); err != nil {
			return nil, err
		}
	}
	if len(q.preload) > 0 {
		if err := preloadRecords(q.ctx, q.c, q.m, out, q.preload); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readRows appends every row of rows, as read turns it into a record, to
// out, and closes rows.
func (q *QuerySet[T]) readRows(rows *sql.Rows, read func(*sql.Rows) (*T, error), out []*T) ([]*T, error) {
	for rows.Next() {
		p, err := read(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Close(); err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	return out, nil
}

// sortByKey sorts records by the distinct integer keys key reads; rows
// that come in order (as they often do, read through an index) are only
// checked.
func sortByKey[T any](out []*T, key keyFunc[int64]) {
	for i := 1; i < len(out); i++ {
		a, _ := key(unsafe.Pointer(out[i-1]))
		b, _ := key(unsafe.Pointer(out[i]))
		if a > b {
			slices.SortFunc(out, func(x, y *T) int {
				a, _ := key(unsafe.Pointer(x))
				b, _ := key(unsafe.Pointer(y))
				return cmp.Compare(a, b)
			})
			return
		}
	}
}

// Iter streams the matching rows one at a time, holding one row in memory
// per step; stop early by breaking out of the loop. A statement that needs
// the loop's connection (a write in the loop's transaction, or any
// statement when the pool has no other connection free) first reads the
// rest of the rows into memory, and the loop goes on from there. An error is yielded
// once, with a nil record, and ends the iteration. Inside a session, a row
// the session already holds is yielded as the session's record, but the
// streamed rows are not added to its identity map, which would otherwise
// grow with every row.
func (q *QuerySet[T]) Iter() iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if q.err != nil {
			yield(nil, q.err)
			return
		}
		if len(q.preload) > 0 {
			q.iterPreloaded(yield)
			return
		}
		text, args, cached, err := q.sql(false)
		if err != nil {
			yield(nil, err)
			return
		}
		rows, err := queryOn(q.c, q.ctx, cached, text, args)
		if err != nil {
			yield(nil, wrapDB(q.m, "select", err))
			return
		}
		sc := q.scanner(1)
		sc.remember = false // a stream must not pile every row into the identity map
		st := &iterStream[T]{rows: rows, sc: sc}
		end := openStream(q.c, q.ctx, st.spill)
		defer func() {
			end()
			st.close()
		}()
		for {
			p, err, ok := st.next()
			if !ok {
				if err != nil {
					yield(nil, wrapDB(q.m, "select", err))
				}
				return
			}
			if err == nil {
				p, err = sc.finish(p)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) {
				return
			}
		}
	}
}

// iterStream is the result set of one Iter loop. A statement that needs
// its connection, run by the loop's body (or, with the pool exhausted, by
// another goroutine), spills it: the rest of its rows are read into memory
// and the result set is closed (see session.Client.Stream). Rows are only
// read there; their hooks run, and the identity map is consulted, when
// the loop reaches them.
type iterStream[T any] struct {
	mu   sync.Mutex
	rows *sql.Rows // nil once closed
	sc   *scanner[T]
	buf  []*T
	err  error // of the spill, yielded after buf
}

// next returns the next row read, or ok false at the end (with the error
// that ended it, if any).
func (st *iterStream[T]) next() (p *T, err error, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rows != nil {
		if st.rows.Next() {
			p, err := st.sc.read(st.rows)
			return p, err, true
		}
		err := st.rows.Err()
		st.rows.Close()
		st.rows = nil
		return nil, err, false
	}
	if len(st.buf) > 0 {
		p := st.buf[0]
		st.buf[0] = nil
		st.buf = st.buf[1:]
		return p, nil, true
	}
	return nil, st.err, false
}

func (st *iterStream[T]) spill() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rows == nil {
		return
	}
	for st.rows.Next() {
		p, err := st.sc.read(st.rows)
		if err != nil {
			st.err = err
			break
		}
		st.buf = append(st.buf, p)
	}
	if st.err == nil {
		st.err = st.rows.Err()
	}
	if err := st.rows.Close(); st.err == nil {
		st.err = err
	}
	st.rows = nil
}

func (st *iterStream[T]) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rows != nil {
		st.rows.Close()
		st.rows = nil
	}
	st.buf = nil
}

// First returns the first matching row, or a *NotFoundError.
func (q *QuerySet[T]) First() (*T, error) {
	rows, err := q.Limit(1).All()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &NotFoundError{Model: q.m.Name}
	}
	return rows[0], nil
}

// Count returns the number of matching rows, ignoring order, limit and
// offset.
func (q *QuerySet[T]) Count() (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	text, args, cached, err := q.sql(true)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := queryRowOn(q.c, q.ctx, cached, text, args).Scan(&n); err != nil {
		return 0, wrapDB(q.m, "count", err)
	}
	return n, nil
}

// Paginate returns page number page (1-based; page ≤ 1 is the first page)
// of perPage rows, with the total count. perPage ≤ 0 puts every row on one
// page, as the original does without per_page.
// A page whose offset, (page-1)*perPage, passes math.MaxInt64 is an error
// matching ErrPageOutOfRange, before any SQL runs.
func (q *QuerySet[T]) Paginate(page, perPage int) (*Page[T], error) {
	if page < 1 {
		page = 1
	}
	offset, err := pageOffset(page, perPage)
	if err != nil {
		return nil, fmt.Errorf("record: Paginate(%d, %d) of %s: %w", page, perPage, q.name(), err)
	}
	total, err := q.Count()
	if err != nil {
		return nil, err
	}
	pq := q
	if perPage > 0 {
		pq = q.Limit(perPage)
		pq.offset = offset
	}
	items, err := pq.All()
	if err != nil {
		return nil, err
	}
	p := &Page[T]{Items: items, Total: total, Page: page, PerPage: perPage}
	switch {
	case total == 0:
	case perPage > 0:
		p.Pages = int((total-1)/int64(perPage) + 1) // total+perPage-1 may overflow
	default:
		p.Pages = 1
	}
	return p, nil
}

// pageOffset returns the rows before page (1-based) at perPage rows a page
// (none when perPage ≤ 0), or an error matching ErrPageOutOfRange when they
// are more than an int64 counts.
func pageOffset(page, perPage int) (uint64, error) {
	if perPage <= 0 || page <= 1 {
		return 0, nil
	}
	if uint64(page-1) > math.MaxInt64/uint64(perPage) {
		return 0, fmt.Errorf("%w: page %d of %d rows skips more than %d rows", ErrPageOutOfRange, page, perPage, int64(math.MaxInt64))
	}
	return uint64(page-1) * uint64(perPage), nil
}

// scanner scans rows of T into records allocated in slabs, each record
// next to its snapshot, with one reusable destination slice.
type scanner[T any] struct {
	ctx   context.Context
	m     *registry.Model
	sess  *session.Session
	cols  []*registry.Column // the columns of a row, in result order
	dest  []any
	slab  []T
	chunk int

	remember bool // add new rows to the session's identity map
	keyless  bool // rows lack the primary key: no identity map, no snapshot
}

func newScanner[T any](ctx context.Context, m *registry.Model, hint int) *scanner[T] {
	return &scanner[T]{ctx: ctx, m: m, sess: session.Current(ctx), cols: m.Columns, dest: make([]any, len(m.Columns)), chunk: max(hint, 1), remember: true}
}

func (s *scanner[T]) scan(rows *sql.Rows) (*T, error) {
	p, err := s.read(rows)
	if err != nil {
		return nil, err
	}
	return s.finish(p)
}

// read scans the current row into a new record, whose snapshot is the
// next element of the same slab.
func (s *scanner[T]) read(rows *sql.Rows) (*T, error) {
	if len(s.slab) < 2 {
		s.slab = make([]T, 2*s.chunk)
		s.chunk = min(s.chunk*2, 256)
	}
	p := &s.slab[0]
	s.slab = s.slab[2:]
	up := unsafe.Pointer(p)
	for i, col := range s.cols {
		s.dest[i] = meta.ScanDest(col, up)
	}
	if err := rows.Scan(s.dest...); err != nil {
		return nil, wrapDB(s.m, "scan", err)
	}
	return p, nil
}

// finish makes a record read by read the session's (or returns the one
// the session already holds), snapshots it and runs its Load hooks.
func (s *scanner[T]) finish(p *T) (*T, error) {
	up := unsafe.Pointer(p)
	// read took p and its snapshot slot as one pair of the slab.
	snap := (*T)(unsafe.Add(up, unsafe.Sizeof(*p)))
	if s.keyless {
		return p, loaded(s.ctx, s.m, p)
	}
	if s.sess != nil {
		key := meta.KeyAt(s.m, up)
		if v, ok := identityOf(s.sess, s.m, key); ok {
			return v.(*T), nil
		}
		if s.remember {
			defer remember(s.sess, s.m, key, p)
		}
	}
	if b := baseOf(s.m, p); b != nil {
		snapshot(s.m, p, snap)
		b.setSaved(snap)
	}
	return p, loaded(s.ctx, s.m, p)
}
