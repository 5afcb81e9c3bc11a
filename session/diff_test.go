package session_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
)

// sessionModels are the models of this package's suites.
var sessionModels = []any{Account{}, Ledger{}, Handle{}, DdlOwner{}, DdlAll{}, Note{}, Grumpy{}, Blob{}, Tally{}, VTally{}, Entry{}, Keyed{}, Wide{}, DiffOwner{}, DiffItemV1{}, DiffTag{}, Shelf{}, NarrowV1{}}

func TestDiffFindsNothingAfterCreateAll(t *testing.T) {
	var listed []string
	for _, m := range sessionModels {
		listed = append(listed, reflect.TypeOf(m).Name())
	}
	// DiffItemV2, ShelfV2 and NarrowV2 share their tables with DiffItemV1,
	// Shelf and NarrowV1: the change tests and the example diff them.
	// KeepAttrs's table is made by hand by its test.
	listed = append(listed, "DiffItemV2", "ShelfV2", "NarrowV2", "RevSignV2", "KeepAttrs")
	require.ElementsMatch(t, dbtest.ModelTypeNames(t, ".", "*_test.go"), listed, "every model of the suites is listed")
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		assert.Empty(t, dbtest.AssertDiffEmpty(t, db, sessionModels))
	})
}
