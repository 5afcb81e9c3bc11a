package sqlgen

import (
	"sync"
	"sync/atomic"

	"github.com/sqlservice/sqlservice/registry"
)

// maxVariants bounds each variant cache of one model's statements (the
// INSERTs by omitted columns, the UPDATEs by set columns, the upserts).
// The number of column sets is open-ended; beyond the bound a variant's text
// is built on each call instead of kept. The client's statement cache
// bounds what is prepared (session.Config.StatementCacheSize).
const maxVariants = 1024

// variants is a bounded cache of statement texts by column set. It is read
// before every INSERT and UPDATE of a record: a read is one atomic load and
// a lookup in a map typed by its key (no boxing of the set into an
// interface, which allocated, and no hashing through one). The map is
// immutable, replaced whole under mu when a variant is added, which happens
// once per variant.
type variants[V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[registry.ColumnSet]V]
}

func (v *variants[V]) load(key registry.ColumnSet) (V, bool) {
	if m := v.m.Load(); m != nil {
		val, ok := (*m)[key]
		return val, ok
	}
	var zero V
	return zero, false
}

// add keeps val under key while the cache has room, and returns the value
// kept under key (val when it was not kept).
func (v *variants[V]) add(key registry.ColumnSet, val V) V {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.m.Load()
	var n int
	if old != nil {
		if got, ok := (*old)[key]; ok {
			return got
		}
		if n = len(*old); n >= maxVariants {
			return val
		}
	}
	m := make(map[registry.ColumnSet]V, n+1)
	if old != nil {
		for k, x := range *old {
			m[k] = x
		}
	}
	m[key] = val
	v.m.Store(&m)
	return val
}

// len returns the number of variants kept.
func (v *variants[V]) len() int {
	if m := v.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}
