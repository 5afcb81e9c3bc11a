package meta_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

// The registry recognises record.Base[T] and events.On[T] by type
// identity. A name says too little: two types declared in different
// functions share their package path and name, and a type that embeds a
// Base or an On has their methods.

func TestAModelDeclaredInAFunctionIsRecognised(t *testing.T) {
	// The reflected name of Base[identLocalDoc] carries a suffix that tells
	// it from other function-local types of the same name
	// ("Base[...meta_test.identLocalDoc·1]"): a check by name refused it.
	type identLocalDoc struct {
		record.Base[identLocalDoc]
		ID   int64 `db:"id,pk"`
		Name string
	}
	m, err := meta.Lookup(reflect.TypeFor[identLocalDoc]())
	require.NoError(t, err)
	assert.True(t, m.HasBase)
	assert.Equal(t, reflect.TypeFor[identLocalDoc]().Field(0).Offset, meta.BaseOffset(m))
	assert.Equal(t, []string{"id", "name"}, m.ColumnNames(), "the Base is no column")
}

func TestAModelEmbeddingTheBaseOfItsNamesakeIsRefused(t *testing.T) {
	type identTwin struct {
		record.Base[identTwin]
		ID int64 `db:"id,pk"`
	}
	type outer = identTwin
	{
		// Same package path, same name, another type.
		type identTwin struct {
			record.Base[outer]
			ID int64 `db:"id,pk"`
		}
		_, err := meta.Lookup(reflect.TypeFor[identTwin]())
		require.ErrorIs(t, err, meta.ErrNotModel)
		var me *meta.ModelError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, "Base", me.Field)
		assert.Contains(t, err.Error(), "a model must embed record.Base[identTwin]")
	}
}

// identCommon carries a Base for another type; identIndirect embeds it.
type identCommon struct {
	record.Base[identIndirect]
}

type identIndirect struct {
	identCommon
	ID int64 `db:"id,pk"`
}

func TestABaseEmbeddedThroughAnotherStructIsNoModelBase(t *testing.T) {
	m, err := meta.Lookup(reflect.TypeFor[identIndirect]())
	require.NoError(t, err)
	assert.False(t, m.HasBase, "only a Base embedded in the model itself is its Base")
	assert.Equal(t, []string{"id"}, m.ColumnNames())
}

// identFakeBase is named like record.Base and has its shape.
type identFakeBase[T any] struct{ snap *T }

type identFakeBased struct {
	identFakeBase[identFakeBased]
	ID int64 `db:"id,pk"`
}

func TestATypeNamedLikeBaseIsNoModelBase(t *testing.T) {
	assert.False(t, meta.IsModelType(reflect.TypeFor[identFakeBased]()))
	m, err := meta.Lookup(reflect.TypeFor[identFakeBased]())
	require.NoError(t, err)
	assert.False(t, m.HasBase)
}

// identOnWrapper embeds the right On, so it has On's methods, but it is
// not an On.
type identOnWrapper struct {
	*events.On[identWrappedOn]
}

type identWrappedOn struct {
	record.Base[identWrappedOn]
	ID int64 `db:"id,pk"`
}

func (identWrappedOn) Events(on *identOnWrapper) {}

func TestAnEventsMethodTakingATypeThatEmbedsOnIsRefused(t *testing.T) {
	_, err := meta.Lookup(reflect.TypeFor[identWrappedOn]())
	require.ErrorIs(t, err, meta.ErrBadTag)
	assert.Contains(t, err.Error(), "Events takes *events.On[identWrappedOn], not *meta_test.identOnWrapper")
}

// identOn is an On in name only.
type identOn[T any] struct{}

type identFakeOn struct {
	record.Base[identFakeOn]
	ID int64 `db:"id,pk"`
}

func (identFakeOn) Events(on *identOn[identFakeOn]) {}

func TestAnEventsMethodTakingATypeNamedOnIsRefused(t *testing.T) {
	_, err := meta.Lookup(reflect.TypeFor[identFakeOn]())
	require.ErrorIs(t, err, meta.ErrBadTag)
	assert.Contains(t, err.Error(), "Events takes *events.On[identFakeOn]")
}

type identEvents struct {
	record.Base[identEvents]
	ID int64 `db:"id,pk"`
}

func (identEvents) Events(on *events.On[identEvents]) {
	on.BeforeSave(func(context.Context, *identEvents) error { return nil })
}

func TestAnEventsMethodTakingItsOwnOnRegisters(t *testing.T) {
	m, err := meta.Lookup(reflect.TypeFor[identEvents]())
	require.NoError(t, err)
	assert.True(t, meta.Handlers(m).Has(events.KindBeforeSave))
}
