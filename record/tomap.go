package record

import (
	"encoding/json"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// Adapter converts one value for ToMap. value is what the map would hold
// for a column (pointers dereferenced, NULL as nil), the field's own value
// for a relation (a *Model, []Model, ...), or a *Model for an adapter keyed
// by a model type; key is the map key; model is the record being converted
// (a *T). The adapter's result is stored instead, as is.
type Adapter func(value any, key string, model any) any

// Adapters shape a model's ToMap output, like the original's
// __dict_args__["adapters"]. A key is either
//
//   - a string: a column name, a Go field name, or a relation's field name
//     or snake_case key, to adapt that field; or
//   - a reflect.Type (see TypeOf): to adapt every column value of that
//     dynamic type (time.Time, string, ...), every relation field of that
//     type ([]UserRole), or, for a model type (UserRole or *UserRole),
//     every related record of that model, alone or inside a collection.
//
// A field-name key wins over a type key. A nil Adapter drops the key from
// the map. Other key types never match.
type Adapters map[any]Adapter

// MapAdapter is implemented by models that shape their ToMap output:
//
//	func (User) MapAdapters() record.Adapters {
//		return record.Adapters{
//			"password":                  nil, // never serialised
//			record.TypeOf[time.Time](): func(v any, _ string, _ any) any { return v.(time.Time).Format(time.DateOnly) },
//		}
//	}
//
// It is called once per ToMap (and per related record of the type): return
// a package-level map rather than building one each time.
type MapAdapter interface {
	MapAdapters() Adapters
}

// TypeOf returns the reflect.Type of T, for keying Adapters by type.
func TypeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// MapOption adjusts ToMap.
type MapOption func(*mapConfig)

type mapConfig struct {
	maxDepth int
}

// ExcludeRelations makes ToMap return the columns only.
func ExcludeRelations() MapOption { return MaxDepth(0) }

// MaxDepth limits how deep ToMap nests relations: 0 is the columns only, 1
// the record's loaded relations with their columns, 2 their relations too,
// and so on. A negative n means no limit (the default; cycles are cut all
// the same).
func MaxDepth(n int) MapOption {
	return func(c *mapConfig) {
		if n < 0 {
			n = math.MaxInt
		}
		c.maxDepth = n
	}
}

// mapInfo is what ToMap needs of a model, computed once.
type mapInfo struct {
	m           *registry.Model
	hasAdapters bool
	relKeys     []string

	// columnsOnly: the model has no relations and *T is no MapAdapter, so
	// that ToMap without options is its columns alone (Base.ToMap's
	// common case), which columnsMap reads.
	columnsOnly bool
	// The columns as columnsMap reads them: those whose map value is the
	// field's value as it is (plainOf returns it unchanged) and whose
	// field is a string, int64, int or time.Time, by type; the others
	// one by one.
	strings []mapField
	int64s  []mapField
	ints    []mapField
	times   []mapField
	others  []mapColumn
}

// mapField is a column's map key and its field's offset.
type mapField struct {
	name string
	off  uintptr
}

// mapColumn is how columnsMap reads one of the others: for a few more
// field types whose map value is the field's value as it is, a load of
// that type at the field's offset; plainValue for the rest.
type mapColumn struct {
	c    *registry.Column
	name string
	off  uintptr
	load byte
}

// The loads of mapColumn.
const (
	loadPlain byte = iota // plainValue
	loadInt64
	loadInt
	loadInt32
	loadString
	loadBool
	loadFloat64
	loadTime
	loadBytes
)

var mapInfos sync.Map // *registry.Model → *mapInfo

// recentMapInfos holds mapInfos by a hash of their model's address, so
// that ToMap finds its model's with a load and a compare; the slot of a
// model that loses its place to another's is filled again from mapInfos.
var recentMapInfos [64]atomic.Pointer[mapInfo]

func mapInfoOf(m *registry.Model) *mapInfo {
	slot := &recentMapInfos[(uint64(uintptr(unsafe.Pointer(m)))*0x9E3779B97F4A7C15)>>58]
	if mi := slot.Load(); mi != nil && mi.m == m {
		return mi
	}
	if v, ok := mapInfos.Load(m); ok {
		mi := v.(*mapInfo)
		slot.Store(mi)
		return mi
	}
	mi := &mapInfo{m: m, relKeys: make([]string, len(m.Relations))}
	for i, r := range m.Relations {
		mi.relKeys[i] = r.Key()
	}
	if !m.IsJoin() {
		_, mi.hasAdapters = reflect.New(m.Type).Interface().(MapAdapter)
	}
	mi.columnsOnly = len(m.Relations) == 0 && !reflect.PointerTo(m.Type).Implements(reflect.TypeFor[MapAdapter]())
	for _, c := range m.Columns {
		mc := mapColumn{c: c, name: c.Name, off: meta.Offset(c)}
		if !c.Nullable || c.Kind == registry.KindBytes || c.Kind == registry.KindJSON ||
			(c.Kind == registry.KindCustom && c.Type.Kind() != reflect.Pointer) { // plainOf's own test
			mc.load = loadOf(c.Type)
		}
		f := mapField{mc.name, mc.off}
		switch mc.load {
		case loadString:
			mi.strings = append(mi.strings, f)
		case loadInt64:
			mi.int64s = append(mi.int64s, f)
		case loadInt:
			mi.ints = append(mi.ints, f)
		case loadTime:
			mi.times = append(mi.times, f)
		default:
			mi.others = append(mi.others, mc)
		}
	}
	v, _ := mapInfos.LoadOrStore(m, mi)
	mi = v.(*mapInfo)
	slot.Store(mi)
	return mi
}

func loadOf(t reflect.Type) byte {
	switch t {
	case reflect.TypeFor[int64]():
		return loadInt64
	case reflect.TypeFor[int]():
		return loadInt
	case reflect.TypeFor[int32]():
		return loadInt32
	case reflect.TypeFor[string]():
		return loadString
	case reflect.TypeFor[bool]():
		return loadBool
	case reflect.TypeFor[float64]():
		return loadFloat64
	case reflect.TypeFor[time.Time]():
		return loadTime
	case reflect.TypeFor[[]byte]():
		return loadBytes
	}
	return loadPlain
}

// columnsMap is the map of the columns of the record at p: what the
// walker makes of a record of a columnsOnly model. A map has no order, so
// the columns are read kind by kind, each kind in a loop of its own.
func (mi *mapInfo) columnsMap(p unsafe.Pointer) map[string]any {
	var out map[string]any
	if len(mi.m.Columns) <= 8 {
		out = make(map[string]any) // a small map, made without a size to check
	} else {
		out = make(map[string]any, len(mi.m.Columns))
	}
	for _, f := range mi.strings {
		out[f.name] = *(*string)(unsafe.Add(p, f.off))
	}
	for _, f := range mi.int64s {
		out[f.name] = *(*int64)(unsafe.Add(p, f.off))
	}
	for _, f := range mi.ints {
		out[f.name] = *(*int)(unsafe.Add(p, f.off))
	}
	for _, f := range mi.times {
		out[f.name] = *(*time.Time)(unsafe.Add(p, f.off))
	}
	for i := range mi.others {
		mc := &mi.others[i]
		f := unsafe.Add(p, mc.off)
		switch mc.load {
		case loadBool:
			out[mc.name] = *(*bool)(f)
		case loadFloat64:
			out[mc.name] = *(*float64)(f)
		case loadInt32:
			out[mc.name] = *(*int32)(f)
		case loadBytes:
			out[mc.name] = *(*[]byte)(f)
		default:
			out[mc.name] = plainValue(mc.c, p)
		}
	}
	return out
}

// find returns the adapter for a field by its names, then by the type of
// its value.
func (a Adapters) find(names []string, t reflect.Type) (Adapter, bool) {
	if a == nil {
		return nil, false
	}
	for _, n := range names {
		if f, ok := a[n]; ok {
			return f, true
		}
	}
	if t != nil {
		if f, ok := a[t]; ok {
			return f, true
		}
	}
	return nil, false
}

// forRecord returns the adapter keyed by a related model's type (T or *T).
func (a Adapters) forRecord(t reflect.Type) (Adapter, bool) {
	if a == nil {
		return nil, false
	}
	if f, ok := a[t]; ok {
		return f, true
	}
	f, ok := a[reflect.PointerTo(t)]
	return f, ok
}

// mapWalker converts records to maps. Cycle rule: a record that is being
// converted higher up on the current path (an ancestor in the output, or
// the record itself) is not expanded again. A single relation pointing at
// such a record is left out of the map (the record it points at is the one
// that contains this map); inside a collection such a record appears with
// its columns only, so that the collection keeps its length. Records
// reached through different paths (two relations to one model, issue #43 of
// the original) are each expanded in full.
type mapWalker struct {
	maxDepth int
	path     []unsafe.Pointer
}

func newMapWalker(opts []MapOption) *mapWalker {
	cfg := mapConfig{maxDepth: math.MaxInt}
	for _, o := range opts {
		o(&cfg)
	}
	return &mapWalker{maxDepth: cfg.maxDepth}
}

func (w *mapWalker) onPath(p unsafe.Pointer) bool {
	for _, q := range w.path {
		if q == p {
			return true
		}
	}
	return false
}

// walk emits the pairs of the record of m at p: columns in order, then
// loaded relations in field order.
func (w *mapWalker) walk(m *registry.Model, p unsafe.Pointer, depth int, columnsOnly bool, emit func(string, any)) {
	mi := mapInfoOf(m)
	var model any
	modelOf := func() any {
		if model == nil {
			model = modelAt(m, p)
		}
		return model
	}
	var adapters Adapters
	if mi.hasAdapters {
		adapters = modelOf().(MapAdapter).MapAdapters()
	}
	for _, c := range m.Columns {
		v := plainValue(c, p)
		if adapters != nil {
			var t reflect.Type
			if v != nil {
				t = reflect.TypeOf(v)
			}
			if f, ok := adapters.find([]string{c.Name, c.Field}, t); ok {
				if f == nil {
					continue
				}
				v = f(v, c.Name, modelOf())
			}
		}
		emit(c.Name, v)
	}
	if columnsOnly || depth >= w.maxDepth || len(m.Relations) == 0 {
		return
	}
	st := relStateOf(m, p)
	w.path = append(w.path, p)
	defer func() { w.path = w.path[:len(w.path)-1] }()
	for i, r := range m.Relations {
		if !st.isLoaded(r) && !present(r, p) {
			continue // not loaded: left out
		}
		key := mi.relKeys[i]
		if f, ok := adapters.find([]string{r.Field, key}, r.Type); ok {
			if f != nil {
				emit(key, f(reflect.NewAt(r.Type, unsafe.Add(p, meta.RelationOffset(r))).Elem().Interface(), key, modelOf()))
			}
			continue
		}
		rm := r.Related
		items := itemsOf(r, p)
		ra, adapted := adapters.forRecord(rm.Type)
		if !r.Many {
			switch {
			case len(items) == 0:
				emit(key, nil)
			case w.onPath(items[0]):
				// cut: see mapWalker
			case adapted && ra == nil:
			case adapted:
				emit(key, ra(modelAt(rm, items[0]), key, modelOf()))
			default:
				emit(key, w.toMap(rm, items[0], depth+1, false))
			}
			continue
		}
		switch {
		case adapted && ra == nil:
		case adapted:
			out := make([]any, len(items))
			for j, it := range items {
				out[j] = ra(modelAt(rm, it), key, modelOf())
			}
			emit(key, out)
		default:
			out := make([]map[string]any, len(items))
			for j, it := range items {
				out[j] = w.toMap(rm, it, depth+1, w.onPath(it))
			}
			emit(key, out)
		}
	}
}

func (w *mapWalker) toMap(m *registry.Model, p unsafe.Pointer, depth int, columnsOnly bool) map[string]any {
	out := make(map[string]any, len(m.Columns)+len(m.Relations))
	w.walk(m, p, depth, columnsOnly, func(k string, v any) { out[k] = v })
	return out
}

// MarshalJSON encodes the record as its ToMap: columns by column name,
// loaded relations nested, adapters applied, cycles cut. It is defined on
// the pointer, as Base recovers the enclosing record from its own address:
// marshal a *T (or a []T, []*T, or a struct holding them), not a T value,
// whose copy would be encoded field by field instead.
func (b *Base[T]) MarshalJSON() ([]byte, error) {
	m, p, err := b.self()
	if err != nil {
		return nil, err
	}
	return json.Marshal(newMapWalker(nil).toMap(m, unsafe.Pointer(p), 0, false))
}
