package record

import (
	"database/sql/driver"
	"encoding/binary"
	"reflect"
	"sync"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlexpr"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
)

// The SQL text of a QuerySet depends only on its shape: which criteria, in
// which order, on which columns, with which operators (and for Eq whether a
// value is NULL), the ordering, the limit, and whether an offset is set.
// Values, including the offset, are bound parameters; the limit is written
// into the text, because SQLite runs a constant LIMIT some 5 % faster than
// a bound one (the number of distinct limits an application uses is small,
// and maxShapes bounds it anyway). So the
// text of a shape is built with squirrel once, cached per model and
// dialect, and prepared once per client like the fixed statements; later
// queries of that shape only collect their arguments.
//
// A shape is only cached when its arguments can be collected without
// squirrel: the map criteria (Eq, NotEq, Gt, GtOrEq, Lt, LtOrEq, Like,
// NotLike, ILike, NotILike; the Like family with one key, since squirrel
// renders several in map order) with scalar values, and And/Or of those.
// Eq and NotEq with a list (IN, NOT IN) are shapes too, one per list
// length up to maxListLen, but their text is only cached, not prepared:
// lengths are many, and the driver's or server's own statement cache is the
// place for them; at most maxListShapes of a model's shapes have lists.
// A builder.Expr is a shape of its text (its arguments bound as they are);
// other Sqlizers go through squirrel on every call and run unprepared. The first build of a shape checks that the collected
// arguments equal squirrel's, and caches nothing otherwise.
//
// Every QuerySet field that changes the SQL text must be part of the shape
// key below; TestShapeKeyCoversQuerySet fails when a field is added.

// maxShapes bounds the cached shapes (and so the prepared statements) per
// model and dialect; further shapes run unprepared.
const maxShapes = 256

// maxListShapes bounds the shapes with a list; maxListLen the list length
// of a cached shape.
const (
	maxListShapes = 64
	maxListLen    = 1000
)

type shapeCache struct {
	mu    sync.RWMutex
	texts map[string]string
	lists int // shapes with a list
}

var shapeCaches sync.Map // *sqlgen.Statements → *shapeCache

func shapesOf(st *sqlgen.Statements) *shapeCache {
	if v, ok := shapeCaches.Load(st); ok {
		return v.(*shapeCache)
	}
	v, _ := shapeCaches.LoadOrStore(st, &shapeCache{texts: map[string]string{}})
	return v.(*shapeCache)
}

// maxInt64 is the LIMIT of an OFFSET without one where the dialect needs a
// LIMIT before OFFSET.
const maxInt64 = uint64(1<<63 - 1)

// sql returns the text and arguments of q's SELECT (count false) or
// SELECT COUNT(*) (count true), and whether the text is a cached shape,
// safe to prepare.
func (q *QuerySet[T]) sql(count bool) (text string, args []any, cached bool, err error) {
	if err := q.recordsRefusal(); err != nil {
		return "", nil, false, err
	}
	if len(q.joins) > 0 || q.sel != nil {
		// Joins re-qualify the criteria and Select changes the select
		// list: such queries are built every time, not cached.
		text, args, err = q.build(count)
		return text, args, false, err
	}
	var kb [128]byte
	key := kb[:0]
	if count {
		key = append(key, 'C')
	} else {
		key = append(key, 'S')
	}
	args = make([]any, 0, len(q.where)+2)
	ok, list := true, false
	for _, w := range q.where {
		if key, args, ok = appendCriterion(key, args, w, &list); !ok {
			break
		}
	}
	if !ok {
		text, args, err = q.build(count)
		return text, args, false, err
	}
	if q.withDeleted {
		key = append(key, 'X')
	}
	if !count {
		if q.distinct {
			key = append(key, 'D')
		}
		if q.lock != nil {
			if _, err := q.lockClause(); err != nil {
				return "", nil, false, err
			}
			key = append(key, 'K', q.lockKey())
		}
		if q.unordered() {
			key = append(key, 'U')
		}
		key = append(key, 'O', byte(len(q.order)))
		for _, o := range q.order {
			dir := byte('a')
			if o.Desc {
				dir = 'd'
			}
			key = appendOrderKey(key, o, dir)
		}
		if q.hasLim {
			key = append(key, 'L')
			key = binary.LittleEndian.AppendUint64(key, q.limit)
		}
		if q.offset > 0 {
			key = append(key, 'F')
			args = append(args, q.offset)
		}
	}
	return q.cachedText(key, args, list, func() (string, []any, error) { return q.build(count) })
}

// cachedText returns the text of the shape key (built by build on the
// first call, and kept when build's arguments equal args), the arguments
// and whether the text may be prepared.
func (q *QuerySet[T]) cachedText(key []byte, args []any, list bool, build func() (string, []any, error)) (string, []any, bool, error) {
	sc := shapesOf(sqlgen.For(q.c.Dialect(), q.m))
	sc.mu.RLock()
	text, hit := sc.texts[string(key)]
	sc.mu.RUnlock()
	if hit {
		return text, args, !list, nil
	}
	text, built, err := build()
	if err != nil {
		return "", nil, false, err
	}
	if !sameArgs(args, built) {
		return text, built, false, nil
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, hit = sc.texts[string(key)]; !hit {
		if len(sc.texts) >= maxShapes || (list && sc.lists >= maxListShapes) {
			return text, built, false, nil
		}
		if list {
			sc.lists++
		}
	}
	sc.texts[string(key)] = text
	return text, args, !list, nil
}

// scanSQL is sql for Scan's SELECT: the shape adds the select list (or the
// plan of the row type, which makes it), DISTINCT, GROUP BY and HAVING.
func (q *QuerySet[T]) scanSQL(p *rowPlan) (text string, args []any, cached bool, err error) {
	build := func() (string, []any, error) { return q.buildScan(p) }
	if len(q.joins) > 0 {
		text, args, err = build()
		return text, args, false, err
	}
	var kb [160]byte
	key := append(kb[:0], 'A')
	args = make([]any, 0, len(q.where)+len(q.having)+2)
	ok, list := true, false
	if q.pick == nil {
		key = binary.LittleEndian.AppendUint32(append(key, 'r'), p.id)
	}
	for _, it := range q.pick {
		if it.expr == nil {
			key = append(key, 'c', byte(meta.Pos(it.col.c)), byte(meta.Pos(it.col.c)>>8))
			continue
		}
		if key, args, ok = appendExpr(key, args, it.expr); !ok {
			break
		}
	}
	key = append(key, 'W')
	for _, w := range q.where {
		if !ok {
			break
		}
		key, args, ok = appendCriterion(key, args, w, &list)
	}
	if q.distinct {
		key = append(key, 'D')
	}
	if q.withDeleted {
		key = append(key, 'X')
	}
	key = append(key, 'G', byte(len(q.group)))
	for _, g := range q.group {
		key = append(key, byte(meta.Pos(g.c)), byte(meta.Pos(g.c)>>8))
	}
	key = append(key, 'H')
	for _, h := range q.having {
		if !ok {
			break
		}
		key, args, ok = appendCriterion(key, args, h, &list)
	}
	if !ok {
		text, args, err = build()
		return text, args, false, err
	}
	if q.lock != nil {
		if _, err := q.lockClause(); err != nil {
			return "", nil, false, err
		}
		key = append(key, 'K', q.lockKey())
	}
	key = append(key, 'O', byte(len(q.order)))
	for _, o := range q.order {
		dir := byte('a')
		if o.Desc {
			dir = 'd'
		}
		key = appendOrderKey(key, o, dir)
	}
	if q.hasLim {
		key = append(key, 'L')
		key = binary.LittleEndian.AppendUint64(key, q.limit)
	}
	if q.offset > 0 {
		key = append(key, 'F')
		args = append(args, q.offset)
	}
	return q.cachedText(key, args, list, build)
}

// appendExpr appends the shape of a builder.Expr (its text) and its
// arguments; ok is false for other Sqlizers and for an Expr with a
// Sqlizer among its arguments.
func appendExpr(key []byte, args []any, s builder.Sqlizer) ([]byte, []any, bool) {
	text, a, ok := sqlexpr.Parts(s)
	if !ok {
		return key, args, false
	}
	for _, v := range a {
		if _, nested := v.(builder.Sqlizer); nested {
			return key, args, false
		}
	}
	key = binary.LittleEndian.AppendUint32(append(key, 'x'), uint32(len(text)))
	key = append(key, text...)
	return key, append(args, a...), true
}

func (q *QuerySet[T]) build(count bool) (string, []any, error) {
	if count {
		return q.countSQL()
	}
	return q.selectSQL()
}

func sameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Criterion kinds in the shape key.
const (
	critEq = iota + 1
	critNotEq
	critGt
	critGtOrEq
	critLt
	critLtOrEq
	critLike
	critNotLike
	critILike
	critNotILike
	critAnd
	critOr
	critEnd
)

// appendCriterion appends the shape of c to key and its arguments to args,
// in squirrel's order, and sets *list when c holds a list. ok is false for a
// criterion whose arguments only squirrel can work out.
func appendCriterion(key []byte, args []any, c builder.Sqlizer, list *bool) ([]byte, []any, bool) {
	switch v := c.(type) {
	case sq.Eq:
		return appendMap(key, args, critEq, v, list)
	case sq.NotEq:
		return appendMap(key, args, critNotEq, v, list)
	case sq.Gt:
		return appendMap(key, args, critGt, v, list)
	case sq.GtOrEq:
		return appendMap(key, args, critGtOrEq, v, list)
	case sq.Lt:
		return appendMap(key, args, critLt, v, list)
	case sq.LtOrEq:
		return appendMap(key, args, critLtOrEq, v, list)
	case sq.Like:
		return appendMap(key, args, critLike, v, list)
	case sq.NotLike:
		return appendMap(key, args, critNotLike, v, list)
	case sq.ILike:
		return appendMap(key, args, critILike, v, list)
	case sq.NotILike:
		return appendMap(key, args, critNotILike, v, list)
	case sq.And:
		return appendConj(key, args, critAnd, v, list)
	case sq.Or:
		return appendConj(key, args, critOr, v, list)
	}
	return appendExpr(key, args, c)
}

func appendConj(key []byte, args []any, kind byte, cs []builder.Sqlizer, list *bool) ([]byte, []any, bool) {
	key = append(key, kind)
	ok := true
	for _, c := range cs {
		if key, args, ok = appendCriterion(key, args, c, list); !ok {
			return key, args, false
		}
	}
	return append(key, critEnd), args, true
}

// appendMap follows squirrel's rendering of the map criteria: keys sorted;
// a driver.Valuer replaced by its value; for Eq and NotEq a pointer
// dereferenced, nil rendered as IS (NOT) NULL without an argument, and a
// list as (NOT) IN with an argument per element.
func appendMap(key []byte, args []any, kind byte, m map[string]any, list *bool) ([]byte, []any, bool) {
	like := kind >= critLike && kind <= critNotILike
	if len(m) == 0 || len(m) > 8 || (like && len(m) > 1) {
		return key, args, false
	}
	var kbuf [8]string
	keys := kbuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	key = append(key, kind, byte(len(keys)))
	for _, k := range keys {
		key = append(key, k...)
		key = append(key, 0)
		v := m[k]
		if dv, isValuer := v.(driver.Valuer); isValuer {
			var err error
			if v, err = dv.Value(); err != nil {
				return key, args, false
			}
		}
		if kind == critEq || kind == critNotEq {
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
				if rv.IsNil() {
					v = nil
				} else {
					v = rv.Elem().Interface()
				}
			}
			if v == nil {
				key = append(key, 'n')
				continue
			}
		}
		if v != nil && isList(v) && (kind == critEq || kind == critNotEq) {
			rv := reflect.ValueOf(v)
			n := rv.Len()
			if n > maxListLen {
				return key, args, false
			}
			key = append(key, 'l')
			key = binary.LittleEndian.AppendUint32(key, uint32(n))
			for i := range n {
				args = append(args, rv.Index(i).Interface())
			}
			*list = true
			continue
		}
		if v == nil || isList(v) {
			return key, args, false
		}
		key = append(key, 'v')
		args = append(args, v)
	}
	return key, args, true
}

// isList is squirrel's test for a value rendered as IN (...).
func isList(v any) bool {
	if driver.IsValue(v) {
		return false
	}
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

// appendOrderKey appends one ORDER BY term to a shape key: a column by
// position, an alias of the select list by name (after 0xffff, which no
// position reaches), and the direction.
func appendOrderKey(key []byte, o sqlgen.Order, dir byte) []byte {
	if o.Column == nil {
		key = append(key, 0xff, 0xff, byte(len(o.Alias)))
		return append(append(key, o.Alias...), dir)
	}
	return append(key, byte(meta.Pos(o.Column)), byte(meta.Pos(o.Column)>>8), dir)
}
