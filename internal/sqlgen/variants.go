package sqlgen

import (
	"sync"
	"sync/atomic"
)

// maxVariants bounds each variant cache of one model's statements (the
// INSERTs by omitted columns, the UPDATEs by set columns, the upserts).
// The number of column sets is open-ended; beyond the bound a variant's text
// is built on each call instead of kept. The client's statement cache
// bounds what is prepared (session.Config.StatementCacheSize).
const maxVariants = 1024

// variants is a bounded cache of statement texts.
type variants struct {
	m sync.Map // key → *Insert or *Update
	n atomic.Int32
}

func (v *variants) load(key any) (any, bool) { return v.m.Load(key) }

// add keeps val under key while the cache has room, and returns the value
// kept under key (val when it was not kept).
func (v *variants) add(key, val any) any {
	if v.n.Load() >= maxVariants {
		return val
	}
	got, loaded := v.m.LoadOrStore(key, val)
	if !loaded {
		v.n.Add(1)
	}
	return got
}

// len returns the number of variants kept.
func (v *variants) len() int { return int(v.n.Load()) }
