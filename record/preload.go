package record

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// iterBatch is how many rows Iter reads per query when it preloads.
const iterBatch = 200

// preloadBatch caps the keys in one preload query below the dialect's
// parameter limit; tests lower it.
var preloadBatch = 1 << 30

// Preload returns a query that also loads the named relations of the
// records it returns, each relation level in one extra query for all the
// records together (WHERE fk IN (...), split in batches that fit the
// dialect's parameter limit) rather than one query per record. A path names
// relation fields by Go name or snake_case key, dotted for nested levels:
// Preload("Roles", "Roles.Permissions") or Preload("roles.permissions")
// (which loads Roles too). A many-to-many level takes two queries: the
// join rows, then the related records.
//
// It applies to All, First, Get, Paginate and Iter. Iter with Preload reads
// the rows in batches of 200, each its own query (keyset on the primary key
// under the default order, LIMIT/OFFSET under another order), and preloads
// each batch before yielding its rows: no cursor stays open while the
// relations load, so it works inside transactions and on a one-connection
// pool.
//
// Loaded relations are stored in the fields (a *Model or []*Model field
// gets the loaded records themselves, a Model or []Model field copies) and
// marked loaded, so that ToMap shows them (an empty collection as []) and
// Save can tell what was removed. For has-one and has-many relations whose
// inverse is a *Model field (UserRole.User for User.Roles), the loaded
// records point back at their owner. An unknown name is a
// *registry.UnknownRelationError (registry.ErrUnknownRelation), returned
// before any SQL runs.
func (q *QuerySet[T]) Preload(paths ...string) *QuerySet[T] {
	n := q.clone()
	if n.err != nil || len(paths) == 0 {
		return n
	}
	for _, path := range paths {
		if err := checkPreloadPath(n.m, path); err != nil {
			n.err = err
			return n
		}
	}
	n.preload = append(q.preload[:len(q.preload):len(q.preload)], paths...)
	return n
}

func checkPreloadPath(m *registry.Model, path string) error {
	cur := m
	for _, name := range strings.Split(path, ".") {
		r, ok := cur.Relation(strings.TrimSpace(name))
		if !ok {
			return &registry.UnknownRelationError{Model: cur.Name, Relation: name, Path: path}
		}
		cur = r.Related
	}
	return nil
}

// Get loads the record with the given primary key (as record.Get does)
// and preloads the query's relations into it. With Where criteria, the
// record must match them too. A missing row is a *NotFoundError.
func (q *QuerySet[T]) Get(key any) (*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	if len(q.where) > 0 {
		args, err := keyArgs(q.m, key)
		if err != nil {
			return nil, err
		}
		eq := builder.Eq{}
		for i, col := range q.m.PK {
			eq[col.Name] = args[i]
		}
		p, err := q.Where(eq).First()
		var nf *NotFoundError
		if errors.As(err, &nf) {
			nf.Key = keyFromArgs(args)
		}
		return p, err
	}
	p, err := Get[T](q.ctx, key)
	if err != nil || len(q.preload) == 0 {
		return p, err
	}
	if err := preloadRecords(q.ctx, q.c, q.m, []*T{p}, q.preload); err != nil {
		return nil, err
	}
	return p, nil
}

// iterPreloaded is Iter with preloads: batches of rows, each preloaded.
func (q *QuerySet[T]) iterPreloaded(yield func(*T, error) bool) {
	keyset := len(q.order) == 0 && len(q.m.PK) == 1 && q.offset == 0
	remaining := -1
	if q.hasLim {
		remaining = int(min(q.limit, 1<<31))
	}
	offset := int(q.offset)
	var last any
	for remaining != 0 {
		n := iterBatch
		if remaining > 0 {
			n = min(n, remaining)
		}
		bq := q
		if keyset && last != nil {
			bq = bq.Where(builder.Gt{q.m.PK[0].Name: last})
		}
		bq = bq.Limit(n)
		if !keyset {
			bq = bq.Offset(offset)
		}
		rows, err := bq.All()
		if err != nil {
			yield(nil, err)
			return
		}
		for _, p := range rows {
			if !yield(p, nil) {
				return
			}
		}
		if len(rows) < n {
			return
		}
		last = meta.Value(q.m.PK[0], unsafe.Pointer(rows[len(rows)-1]))
		offset += len(rows)
		if remaining > 0 {
			remaining -= len(rows)
		}
	}
}

// preloadRecords loads the relations named by paths into records of m.
func preloadRecords[T any](ctx context.Context, c *session.Client, m *registry.Model, records []*T, paths []string) error {
	if len(records) == 0 {
		return nil
	}
	ps := make([]unsafe.Pointer, len(records))
	for i, r := range records {
		ps[i] = unsafe.Pointer(r)
	}
	return preload(ctx, c, m, ps, paths)
}

// preload loads the relations named by paths into the records of m at
// parents: one level per relation, the deeper levels by the queries of the
// level above.
func preload(ctx context.Context, c *session.Client, m *registry.Model, parents []unsafe.Pointer, paths []string) error {
	type level struct {
		r   *registry.Relation
		sub []string
	}
	var levels []*level
	byRel := map[*registry.Relation]*level{}
	for _, path := range paths {
		name, rest, nested := strings.Cut(path, ".")
		r, ok := m.Relation(strings.TrimSpace(name))
		if !ok {
			return &registry.UnknownRelationError{Model: m.Name, Relation: name, Path: path}
		}
		l := byRel[r]
		if l == nil {
			l = &level{r: r}
			byRel[r] = l
			levels = append(levels, l)
		}
		if nested {
			l.sub = append(l.sub, rest)
		}
	}
	for _, l := range levels {
		var err error
		switch l.r.Kind {
		case registry.HasOne, registry.HasMany:
			err = preloadChildren(ctx, c, l.r, parents, l.sub)
		case registry.BelongsTo:
			err = preloadParents(ctx, c, l.r, parents, l.sub)
		case registry.ManyToMany:
			err = preloadLinked(ctx, c, l.r, parents, l.sub)
		}
		if err != nil {
			return &RelationError{Model: m.Name, Path: l.r.Field, Err: err}
		}
	}
	return nil
}

// keyFunc reads the normalised key a column holds in a record; ok is false
// for NULL.
type keyFunc[K comparable] func(p unsafe.Pointer) (k K, ok bool)

func anyKeys(c *registry.Column) keyFunc[any] {
	return func(p unsafe.Pointer) (any, bool) { return columnKey(c, p) }
}

// intKeys reads integer columns (and pointers to them) without boxing: the
// common case of joining on integer keys.
func intKeys(c *registry.Column) (keyFunc[int64], bool) {
	t, ptr := c.Type, false
	if t.Kind() == reflect.Pointer {
		t, ptr = t.Elem(), true
	}
	if t.PkgPath() != "" && t.Name() != t.Kind().String() {
		return nil, false // a named type: it may be a Valuer
	}
	var read func(unsafe.Pointer) int64
	switch t.Kind() {
	case reflect.Int64:
		read = func(f unsafe.Pointer) int64 { return *(*int64)(f) }
	case reflect.Int:
		read = func(f unsafe.Pointer) int64 { return int64(*(*int)(f)) }
	case reflect.Int32:
		read = func(f unsafe.Pointer) int64 { return int64(*(*int32)(f)) }
	case reflect.Uint32:
		read = func(f unsafe.Pointer) int64 { return int64(*(*uint32)(f)) }
	default:
		return nil, false
	}
	off := meta.Offset(c)
	if ptr {
		return func(p unsafe.Pointer) (int64, bool) {
			f := *(*unsafe.Pointer)(unsafe.Add(p, off))
			if f == nil {
				return 0, false
			}
			return read(f), true
		}, true
	}
	return func(p unsafe.Pointer) (int64, bool) { return read(unsafe.Add(p, off)), true }, true
}

// distinctKeys returns the distinct non-NULL values of column col of the
// records (for an IN list), and each record's key.
func distinctKeys[K comparable](col *registry.Column, key keyFunc[K], records []unsafe.Pointer) (vals []any, keys []K, ok []bool) {
	seen := make(map[K]bool, len(records))
	keys, ok = make([]K, len(records)), make([]bool, len(records))
	for i, p := range records {
		k, valid := key(p)
		if !valid {
			continue
		}
		keys[i], ok[i] = k, true
		if !seen[k] {
			seen[k] = true
			vals = append(vals, meta.Value(col, p))
		}
	}
	return vals, keys, ok
}

// loadIn loads the records of m whose column col is one of vals, in
// batches, with their own preloads.
func loadIn(ctx context.Context, c *session.Client, m *registry.Model, col *registry.Column, vals []any, sub []string) ([]unsafe.Pointer, error) {
	size := max(1, min(c.Dialect().MaxParams()-1, preloadBatch))
	o := opsOf(m)
	var out []unsafe.Pointer
	for start := 0; start < len(vals); start += size {
		batch := vals[start:min(start+size, len(vals))]
		got, err := o.load(ctx, builder.Eq{col.Name: batch}, sub, len(batch))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = got
		} else {
			out = append(out, got...)
		}
	}
	return out, nil
}

// group arranges items under the parents whose key they carry, keeping the
// items' order: it returns, for each parent, its slice of one shared array
// (capacity-limited, so that appending to one never writes into another).
func group[K comparable](parentKeys []K, parentOK []bool, items []unsafe.Pointer, itemKeys []K, itemOK []bool) [][]unsafe.Pointer {
	slot := make(map[K]int32, len(parentKeys))
	for i, k := range parentKeys {
		if parentOK[i] {
			if _, dup := slot[k]; !dup {
				slot[k] = int32(len(slot))
			}
		}
	}
	counts := make([]int, len(slot)+1)
	where := make([]int32, len(items))
	for i, k := range itemKeys {
		where[i] = -1
		if itemOK[i] {
			if s, found := slot[k]; found {
				where[i] = s
				counts[s+1]++
			}
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	arr := make([]unsafe.Pointer, counts[len(counts)-1])
	fill := append([]int(nil), counts[:len(counts)-1]...)
	for i, s := range where {
		if s >= 0 {
			arr[fill[s]] = items[i]
			fill[s]++
		}
	}
	out := make([][]unsafe.Pointer, len(parentKeys))
	for i, k := range parentKeys {
		if parentOK[i] {
			s := slot[k]
			out[i] = arr[counts[s]:counts[s+1]:counts[s+1]]
		}
	}
	return out
}

// store puts the loaded records of r into each parent's field and marks
// the relation loaded. The parents keep a copy of what they got, so that
// Save can tell which records were removed. A slice of records (not
// pointers) gets copies: those of all parents go into one array, of which
// each parent's field gets its part (capacity-limited, so that appending to
// one never writes into the next).
func store(r *registry.Relation, parents []unsafe.Pointer, groups [][]unsafe.Pointer) {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	values := r.Many && !r.Pointer
	var base unsafe.Pointer // the copies, when values
	size := int(r.Target.Size())
	if values && total > 0 {
		flat := make([]unsafe.Pointer, 0, total)
		for _, g := range groups {
			flat = append(flat, g...)
		}
		base = opsOf(r.Related).copies(flat)
	}
	var prevArr []unsafe.Pointer
	if r.Owner.HasBase {
		prevArr = make([]unsafe.Pointer, 0, total)
	}
	off := 0 // of the parent's first copy in base
	for i, p := range parents {
		items := groups[i]
		if !r.Many && len(items) > 1 {
			items = items[:1]
		}
		n := len(items)
		if values {
			f := (*sliceHeader)(unsafe.Add(p, meta.RelationOffset(r)))
			*f = sliceHeader{}
			if n > 0 {
				*f = sliceHeader{unsafe.Add(base, off*size), n, n}
			}
		} else {
			setItems(r, p, items)
		}
		if prevArr != nil {
			start := len(prevArr)
			if values {
				for k := range n {
					prevArr = append(prevArr, unsafe.Add(base, (off+k)*size)) // the copies now in the field
				}
			} else {
				prevArr = append(prevArr, items...)
			}
			prev := prevArr[start:len(prevArr):len(prevArr)]
			updateRelState(r.Owner, p, func(s *relState) { s.withKnown(r.Owner, r, prev) })
		}
		off += n
	}
}

// sliceHeader is the layout of every slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// preloadChildren loads a has-one or has-many relation: the related rows
// whose foreign key is one of the parents' keys.
func preloadChildren(ctx context.Context, c *session.Client, r *registry.Relation, parents []unsafe.Pointer, sub []string) error {
	if pk, ok := intKeys(r.Ref); ok {
		if fk, ok := intKeys(r.FK); ok {
			return preloadChildrenBy(ctx, c, r, parents, sub, pk, fk)
		}
	}
	return preloadChildrenBy(ctx, c, r, parents, sub, anyKeys(r.Ref), anyKeys(r.FK))
}

func preloadChildrenBy[K comparable](ctx context.Context, c *session.Client, r *registry.Relation, parents []unsafe.Pointer, sub []string, refKey, fkKey keyFunc[K]) error {
	vals, parentKeys, parentOK := distinctKeys(r.Ref, refKey, parents)
	children, err := loadIn(ctx, c, r.Related, r.FK, vals, sub)
	if err != nil {
		return err
	}
	childKeys, childOK := make([]K, len(children)), make([]bool, len(children))
	for i, ch := range children {
		childKeys[i], childOK[i] = fkKey(ch)
	}
	groups := group(parentKeys, parentOK, children, childKeys, childOK)
	if inv := r.Inverse; inv != nil && !inv.Many && inv.Pointer {
		for i, p := range parents {
			for _, ch := range groups[i] {
				*(*unsafe.Pointer)(unsafe.Add(ch, meta.RelationOffset(inv))) = p
			}
		}
	}
	store(r, parents, groups)
	return nil
}

// preloadParents loads a belongs-to relation: the related rows that the
// owners' foreign keys reference.
func preloadParents(ctx context.Context, c *session.Client, r *registry.Relation, owners []unsafe.Pointer, sub []string) error {
	if fk, ok := intKeys(r.FK); ok {
		if ref, ok := intKeys(r.Ref); ok {
			return preloadParentsBy(ctx, c, r, owners, sub, fk, ref)
		}
	}
	return preloadParentsBy(ctx, c, r, owners, sub, anyKeys(r.FK), anyKeys(r.Ref))
}

func preloadParentsBy[K comparable](ctx context.Context, c *session.Client, r *registry.Relation, owners []unsafe.Pointer, sub []string, fkKey, refKey keyFunc[K]) error {
	vals, ownerKeys, ownerOK := distinctKeys(r.FK, fkKey, owners)
	related, err := loadIn(ctx, c, r.Related, r.Ref, vals, sub)
	if err != nil {
		return err
	}
	byKey := make(map[K]unsafe.Pointer, len(related))
	for _, rp := range related {
		if k, ok := refKey(rp); ok {
			byKey[k] = rp
		}
	}
	groups := make([][]unsafe.Pointer, len(owners))
	flat := make([]unsafe.Pointer, len(owners))
	for i, k := range ownerKeys {
		if q, found := byKey[k]; found && ownerOK[i] {
			flat[i] = q
			groups[i] = flat[i : i+1 : i+1]
		}
	}
	store(r, owners, groups)
	return nil
}

// preloadLinked loads a many-to-many relation: the join rows of the
// owners, then the related rows they name.
func preloadLinked(ctx context.Context, c *session.Client, r *registry.Relation, owners []unsafe.Pointer, sub []string) error {
	vals, ownerKeys, ownerOK := distinctKeys(r.Ref, anyKeys(r.Ref), owners)
	var linkOwner, linkRelated []any
	var relatedVals []any
	seen := map[any]bool{}
	size := max(1, min(c.Dialect().MaxParams()-1, preloadBatch))
	for start := 0; start < len(vals); start += size {
		err := scanJoin(ctx, c, r, vals[start:min(start+size, len(vals))], func(owner, related any) {
			ok, _ := normKey(owner)
			rk, _ := normKey(related)
			linkOwner = append(linkOwner, ok)
			linkRelated = append(linkRelated, rk)
			if !seen[rk] {
				seen[rk] = true
				relatedVals = append(relatedVals, related)
			}
		})
		if err != nil {
			return err
		}
	}
	related, err := loadIn(ctx, c, r.Related, r.RelatedRef, relatedVals, sub)
	if err != nil {
		return err
	}
	byKey := make(map[any]unsafe.Pointer, len(related))
	for _, rp := range related {
		if k, ok := columnKey(r.RelatedRef, rp); ok {
			byKey[k] = rp
		}
	}
	// One item per join row, keyed by the row's owner.
	items := make([]unsafe.Pointer, 0, len(linkRelated))
	itemOwner := make([]any, 0, len(linkRelated))
	itemOK := make([]bool, 0, len(linkRelated))
	for i, rk := range linkRelated {
		if q, ok := byKey[rk]; ok {
			items = append(items, q)
			itemOwner = append(itemOwner, linkOwner[i])
			itemOK = append(itemOK, linkOwner[i] != nil)
		}
	}
	store(r, owners, group(ownerKeys, ownerOK, items, itemOwner, itemOK))
	return nil
}
