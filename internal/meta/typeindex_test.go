package meta

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The index by type finds every published model, whatever the table's
// size and collisions, replaces a type's model when it is published again,
// and forgets the dropped ones; types never published are not found.
func TestTypeIndexFindsWhatWasPublished(t *testing.T) {
	saved := byType.Load()
	t.Cleanup(func() { byType.Store(saved) })
	byType.Store(nil)

	types := make([]reflect.Type, 300)
	models := make([]*Model, len(types))
	for i := range types {
		types[i] = reflect.ArrayOf(i+1, reflect.TypeFor[byte]()) // a distinct descriptor each
		models[i] = &Model{Type: types[i]}
	}
	_, ok := registered(types[0])
	require.False(t, ok, "an empty registry")
	for start := 0; start < len(models); start += 37 { // grows the table step by step
		publishTypes(models[start:min(start+37, len(models))], nil)
		for i := range min(start+37, len(models)) {
			m, ok := registered(types[i])
			require.True(t, ok, "type %d after publishing up to %d", i, start+37)
			require.Same(t, models[i], m)
		}
	}
	_, ok = registered(reflect.TypeFor[struct{ X int }]())
	assert.False(t, ok, "a type never published")

	again := &Model{Type: types[5]}
	publishTypes([]*Model{again}, nil)
	m, _ := registered(types[5])
	assert.Same(t, again, m, "published again: the new model")

	drop := map[*Model]bool{}
	for i := 0; i < len(models); i += 2 {
		drop[models[i]] = true
	}
	drop[again] = true
	publishTypes(nil, drop)
	for i := range types {
		m, ok := registered(types[i])
		if i%2 == 0 || i == 5 {
			assert.False(t, ok, "type %d was dropped", i)
			continue
		}
		require.True(t, ok, "type %d was kept", i)
		assert.Same(t, models[i], m)
	}
}
