package session_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// RevSignV1 and RevSignV2 are two releases of one table: a signed counter
// that became unsigned.
type RevSignV1 struct {
	record.Base[RevSignV1]
	ID    int64 `db:"id,pk,autoincrement"`
	Score int32 `db:"score"`
}

func (RevSignV1) TableName() string { return "rev_sign" }

type RevSignV2 struct {
	record.Base[RevSignV2]
	ID    int64  `db:"id,pk,autoincrement"`
	Score uint32 `db:"score"`
}

func (RevSignV2) TableName() string { return "rev_sign" }

func init() { sessionModels = append(sessionModels, RevSignV1{}) }

// narrowing (diff_types.go) ranks "int" and "int unsigned" alike, so a
// change of sign is not destructive and Apply runs it without
// AllowDestructive. On MySQL, INT -> INT UNSIGNED cannot hold the
// negative rows: under strict mode the ALTER fails half-way through the
// plan (MySQL's DDL is not transactional), without it the values become 0.
// A plan Apply runs without AllowDestructive must keep every value.
func TestReviewDiffSignChangeIsDestructive(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.CreateAll(ctx, RevSignV1{}))
		_, err := db.DB().ExecContext(ctx, `INSERT INTO rev_sign (id, score) VALUES (1, -5)`)
		require.NoError(t, err)
		plan, err := db.Diff(ctx, RevSignV2{})
		require.NoError(t, err)
		err = db.Apply(ctx, plan)
		if errors.Is(err, session.ErrDestructive) {
			return // refused: the caller decides
		}
		require.NoError(t, err, "a plan with no destructive step applies:\n%s", plan)
		var score int64
		require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT score FROM rev_sign WHERE id = 1`).Scan(&score))
		assert.EqualValues(t, -5, score, "the value is kept")
	})
}
