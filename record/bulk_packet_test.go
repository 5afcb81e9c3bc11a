package record_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// PacketDoc has a large text column.
type PacketDoc struct {
	record.Base[PacketDoc]
	ID   int64  `db:"id,pk,autoincrement"`
	Body string `db:"body"`
}

// A BulkInsert larger than a MySQL or MariaDB server accepts in one packet
// (max_allowed_packet, 16 MiB by default) is refused before it is sent,
// with the packet size and the BatchSize that fits, instead of the server
// dropping the connection; that BatchSize then works. SQLite and
// PostgreSQL have no such limit and insert it as it is.
func TestBulkInsertLargerThanThePacket(t *testing.T) {
	body := strings.Repeat("x", 16<<10)
	rows := make([]map[string]any, 1100) // about 17.6 MB in one statement
	for i := range rows {
		rows[i] = map[string]any{"body": body}
	}
	huge := []map[string]any{{"body": strings.Repeat("y", 17<<20)}}
	dbtest.Each(t, dbtest.Options{Models: []any{PacketDoc{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		count := func() int64 {
			n, err := record.Query[PacketDoc](ctx).Count()
			require.NoError(t, err)
			return n
		}
		n, err := record.BulkInsert[PacketDoc](ctx, rows)
		if db.Dialect != "mysql" {
			require.NoError(t, err)
			assert.EqualValues(t, len(rows), n)
			_, err = record.BulkInsert[PacketDoc](ctx, huge)
			require.NoError(t, err)
			assert.EqualValues(t, len(rows)+1, count())
			return
		}
		require.ErrorIs(t, err, session.ErrStatementTooLarge)
		var dbe *record.DBError
		require.ErrorAs(t, err, &dbe)
		assert.Equal(t, "PacketDoc", dbe.Model)
		assert.Contains(t, err.Error(), "max_allowed_packet")
		assert.Zero(t, count(), "nothing was sent")
		m := regexp.MustCompile(`record\.BatchSize\((\d+)\)`).FindStringSubmatch(err.Error())
		require.NotNil(t, m, err.Error())
		batch, _ := strconv.Atoi(m[1])
		require.Greater(t, batch, 1)
		n, err = record.BulkInsert[PacketDoc](ctx, rows, record.BatchSize(batch))
		require.NoError(t, err, "the suggested BatchSize fits")
		assert.EqualValues(t, len(rows), n)

		_, err = record.BulkInsert[PacketDoc](ctx, huge)
		require.ErrorIs(t, err, session.ErrStatementTooLarge)
		assert.Contains(t, err.Error(), "one row")
		assert.EqualValues(t, len(rows), count())
		require.NoError(t, db.Ping(ctx), "the connection is still good")
	})
}

// A statement that fits only when its strings are counted byte by byte
// (600 rows of 16 KiB, about 9.8 MB: twice that, every byte escaped, is over
// MySQL's default 16 MiB) is sent: the cheap bound never refuses on its own.
func TestBulkInsertThatFitsOnlyWhenCountedExactly(t *testing.T) {
	body := strings.Repeat("x", 16<<10)
	rows := make([]map[string]any, 600)
	for i := range rows {
		rows[i] = map[string]any{"body": body}
	}
	dbtest.Each(t, dbtest.Options{Models: []any{PacketDoc{}}}, func(t *testing.T, db *dbtest.DB) {
		n, err := record.BulkInsert[PacketDoc](db.Ctx(), rows)
		require.NoError(t, err)
		assert.EqualValues(t, len(rows), n)
	})
}
