package meta_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
)

type review4Good struct {
	ID int64 `db:"id,pk"`
}

type review4Bad struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name,bogus"`
}

// A registration that fails publishes none of its models, not even those
// built before the failing one; the good model registers alone afterwards.
func TestReview4FailedRegistrationPublishesNothing(t *testing.T) {
	err := meta.Register(review4Good{}, review4Bad{})
	require.ErrorIs(t, err, meta.ErrBadTag)
	_, ok := meta.Registered(reflect.TypeFor[review4Good]())
	assert.False(t, ok)
	_, ok = meta.Registered(reflect.TypeFor[review4Bad]())
	assert.False(t, ok)
	require.NoError(t, meta.Register(review4Good{}))
	m, ok := meta.Registered(reflect.TypeFor[review4Good]())
	require.True(t, ok)
	assert.Equal(t, reflect.TypeFor[review4Good](), m.Type)
}

type (
	review4C0 struct {
		ID int64 `db:"id,pk"`
	}
	review4C1 struct {
		ID int64 `db:"id,pk"`
	}
	review4C2 struct {
		ID int64 `db:"id,pk"`
	}
	review4C3 struct {
		ID int64 `db:"id,pk"`
	}
	review4C4 struct {
		ID int64 `db:"id,pk"`
	}
	review4C5 struct {
		ID int64 `db:"id,pk"`
	}
	review4C6 struct {
		ID int64 `db:"id,pk"`
	}
	review4C7 struct {
		ID int64 `db:"id,pk"`
	}
)

// Goroutines registering and looking up types at once each find every
// type's one model, never another type's (the index by descriptor
// address, replaced whole on every registration).
func TestReview4ConcurrentLookups(t *testing.T) {
	types := []reflect.Type{
		reflect.TypeFor[review4C0](), reflect.TypeFor[review4C1](), reflect.TypeFor[review4C2](), reflect.TypeFor[review4C3](),
		reflect.TypeFor[review4C4](), reflect.TypeFor[review4C5](), reflect.TypeFor[review4C6](), reflect.TypeFor[review4C7](),
	}
	n := len(types)
	var wg sync.WaitGroup
	models := make([][]*meta.Model, 4)
	for g := range models {
		models[g] = make([]*meta.Model, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < n; k++ {
				i := (k + g*3) % n
				m, err := meta.Lookup(types[i])
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, types[i], m.Type)
				models[g][i] = m
				for _, tt := range types {
					if m, ok := meta.Registered(tt); ok {
						assert.Equal(t, tt, m.Type)
					}
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		for g := range models {
			assert.Same(t, models[0][i], models[g][i], "type %d", i)
		}
	}
}
