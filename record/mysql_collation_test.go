package record_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Customer lives in a MySQL table created with the server's usual
// collations, not the utf8mb4_bin that CreateAll gives.
type Customer struct {
	record.Base[Customer]
	CustomerID int64  `db:"CustomerId,pk"`
	Email      string `db:"Email"`  // utf8mb4_general_ci: case-insensitive
	Legacy     string `db:"Legacy"` // utf8mb3 (utf8): no characters beyond the BMP
}

func (Customer) TableName() string { return "Customer" }

// TestMySQLStringsOnExistingTables runs on MySQL only (named server=mysql,
// so it does not count as a behavioural subtest).
func TestMySQLStringsOnExistingTables(t *testing.T) {
	t.Run("server=mysql", func(t *testing.T) {
		db := dbtest.Open(t, "mysql", dbtest.Options{})
		ctx := db.Ctx()
		rawExec(t, db,
			"CREATE TABLE `Customer` (`CustomerId` INT NOT NULL PRIMARY KEY, "+
				"`Email` VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL UNIQUE, "+
				"`Legacy` VARCHAR(60) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL)",
			"INSERT INTO `Customer` VALUES (1, 'Jenny@Example.com', 'café')",
		)
		t.Run("comparison follows the column's collation: case is ignored", func(t *testing.T) {
			got, err := record.Find[Customer](ctx, builder.Eq{"Email": "jenny@example.com"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "Jenny@Example.com", got[0].Email, "the stored text is returned as stored")
			err = (&Customer{CustomerID: 2, Email: "JENNY@example.com", Legacy: "x"}).Insert(ctx)
			assert.ErrorIs(t, err, record.ErrDuplicateKey, "a unique key ignores case too")
		})
		t.Run("text outside the BMP is refused by a utf8mb3 column with a clear error", func(t *testing.T) {
			err := (&Customer{CustomerID: 3, Email: "emoji@example.com", Legacy: "rock 🤘"}).Insert(ctx)
			require.Error(t, err)
			assert.ErrorContains(t, err, "Customer")
			assert.ErrorContains(t, err, "Incorrect string value")
			assert.ErrorContains(t, err, "Legacy")
			_, err = record.Get[Customer](ctx, int64(3))
			assert.ErrorIs(t, err, record.ErrNotFound, "nothing was written")
		})
		t.Run("BMP text round-trips in utf8mb3", func(t *testing.T) {
			c, err := record.Get[Customer](ctx, int64(1))
			require.NoError(t, err)
			assert.Equal(t, "café", c.Legacy)
		})
	})
}
