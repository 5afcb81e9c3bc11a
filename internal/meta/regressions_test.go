package meta_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

type regGood struct {
	ID int64 `db:"id,pk"`
}

type regBadNoPK struct {
	Name string
}

func TestRegisterIsAllOrNothing(t *testing.T) {
	err := meta.Register(regGood{}, regBadNoPK{})
	require.ErrorIs(t, err, meta.ErrNoPrimaryKey)
	_, ok := meta.ByTable("reg_good")
	assert.False(t, ok, "a call that fails registers nothing, not even the models before the bad one")
	require.NoError(t, meta.Register(regGood{}))
	_, ok = meta.ByTable("reg_good")
	assert.True(t, ok)
}

type regStamps struct {
	Created int64
	Deleted bool
	hidden  int //nolint:unused // unexported fields of an embedded struct are not promoted
}

type regEmbedsUnexported struct {
	ID int64 `db:"id,pk"`
	regStamps
}

func TestEmbeddedUnexportedStructPromotesItsFields(t *testing.T) {
	m, err := meta.Of[regEmbedsUnexported]()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "created", "deleted"}, m.ColumnNames())
}

type regSetOrder struct {
	record.Base[regSetOrder]
	ID    int64  `db:"id,pk"`
	Phone string `db:"phone"`
}

func (regSetOrder) Events(on *events.On[regSetOrder]) {
	on.Set("Phone", func(_ *regSetOrder, v, _ any) (any, error) { return v.(string) + "1", nil })
	on.Set("phone", func(_ *regSetOrder, v, _ any) (any, error) { return v.(string) + "2", nil })
	on.Set("Phone", func(_ *regSetOrder, v, _ any) (any, error) { return v.(string) + "3", nil })
}

func TestSetHandlersRunInRegistrationOrderAcrossSpellings(t *testing.T) {
	m, err := meta.Of[regSetOrder]()
	require.NoError(t, err)
	got, err := meta.Handlers(m).FireSet(&regSetOrder{}, "phone", "x", "")
	require.NoError(t, err)
	assert.Equal(t, "x123", got)
}
