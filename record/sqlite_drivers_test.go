package record_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// DriverRow has a column of each kind whose stored form a driver decides.
type DriverRow struct {
	record.Base[DriverRow]
	ID    int64      `db:"id,pk,autoincrement"`
	Name  string     `db:"name,unique"`
	At    time.Time  `db:"at"`
	Maybe *time.Time `db:"maybe"`
	Data  []byte     `db:"data"`
	Price float64    `db:"price"`
}

// The two SQLite drivers write the same file the same way: rows written
// through one are found (times compared in SQL) and read back exactly
// through the other, and a duplicate key is ErrDuplicateKey through both.
func TestSQLiteDriversShareAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func(t *testing.T, driver string) (*session.Client, context.Context) {
		db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + path + "?driver=" + driver})
		if driver == "mattn" && errors.Is(err, session.ErrBadURI) {
			t.Skip("mattn's driver needs cgo:", err)
		}
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db, db.Context(context.Background())
	}
	setup, ctx := open(t, "modernc")
	require.NoError(t, setup.CreateAll(ctx, DriverRow{}))
	at := time.Date(2025, 12, 22, 9, 30, 15, 123456789, time.FixedZone("UTC+1", 3600))

	for _, dir := range []struct{ write, read string }{{"mattn", "modernc"}, {"modernc", "mattn"}} {
		t.Run(dir.write+" to "+dir.read, func(t *testing.T) {
			_, wctx := open(t, dir.write)
			_, rctx := open(t, dir.read)
			name := "written by " + dir.write
			row, err := record.New[DriverRow](map[string]any{"name": name, "at": at, "maybe": &at, "data": []byte{0, 1, 2, 255}, "price": 12.5})
			require.NoError(t, err)
			require.NoError(t, row.Insert(wctx))

			got, err := record.FindOne[DriverRow](rctx, builder.Eq{"name": name}, builder.Eq{"at": at})
			require.NoError(t, err, "the time bound by one driver equals the one stored by the other")
			assert.True(t, at.Equal(got.At), "at %v, want %v", got.At, at)
			require.NotNil(t, got.Maybe)
			assert.True(t, at.Equal(*got.Maybe))
			assert.Equal(t, []byte{0, 1, 2, 255}, got.Data)
			assert.Equal(t, 12.5, got.Price)
			n, err := record.Query[DriverRow](rctx).Where(builder.Gt{"at": at.Add(-time.Nanosecond)}, builder.Eq{"name": name}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)

			dup, err := record.New[DriverRow](map[string]any{"name": name, "at": at})
			require.NoError(t, err)
			err = dup.Insert(rctx)
			assert.ErrorIs(t, err, session.ErrDuplicateKey)
		})
	}
}
