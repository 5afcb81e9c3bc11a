package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// R5Widen widens a hand-made table's name column to 50 and makes it NOT
// NULL.
type R5Widen struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

func (R5Widen) TableName() string { return "r5_widen" }

// R5OwnCollation is r5_widen with a name column whose type states its own
// collation.
type R5OwnCollation struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,type=varchar(50) collate utf8mb4_bin"`
}

func (R5OwnCollation) TableName() string { return "r5_widen" }

// R5OwnCollationPG is R5OwnCollation on PostgreSQL.
type R5OwnCollationPG struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,type=varchar(50) collate ucs_basic"`
}

func (R5OwnCollationPG) TableName() string { return "r5_widen" }

// r5Apply diffs model against the live table, applies the plan, and
// returns the live name column.
func r5Apply(t *testing.T, db *dbtest.DB, model any) (*session.Plan, session.TableColumn) {
	t.Helper()
	ctx := db.Ctx()
	plan, err := db.Diff(ctx, model)
	require.NoError(t, err)
	require.False(t, plan.Empty())
	require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()), "%s", plan)
	for _, c := range schemaOf(t, db)["r5_widen"].Columns {
		if c.Name == "name" {
			return plan, c
		}
	}
	t.Fatal("no name column")
	return nil, session.TableColumn{}
}

// A latin1 column in a utf8mb4 table keeps its collation (and so its
// character set) through a MODIFY COLUMN, and the plan's Down puts the
// column back.
func TestReview5DiffKeepsALatin1ColumnOfAUTF8Table(t *testing.T) {
	onServers(t, []string{"mysql"}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		_, err := db.DB().ExecContext(ctx, "CREATE TABLE r5_widen (id BIGINT AUTO_INCREMENT PRIMARY KEY, "+
			"name VARCHAR(40) CHARACTER SET latin1 COLLATE latin1_german1_ci NULL COMMENT 'Zeilen\nüber \\\\ ''zwei''') DEFAULT CHARSET=utf8mb4")
		require.NoError(t, err)
		_, err = db.DB().ExecContext(ctx, "INSERT INTO r5_widen (name) VALUES ('Größe')")
		require.NoError(t, err)
		plan, name := r5Apply(t, db, R5Widen{})
		assert.Equal(t, "latin1_german1_ci", name.Collation)
		assert.Equal(t, "Zeilen\nüber \\ 'zwei'", name.Comment)
		var got string
		require.NoError(t, db.DB().QueryRowContext(ctx, "SELECT name FROM r5_widen").Scan(&got))
		assert.Equal(t, "Größe", got)
		again, err := db.Diff(ctx, R5Widen{})
		require.NoError(t, err)
		assert.True(t, again.Empty(), "%s", again)
		for _, q := range plan.DownSQL() {
			_, err := db.DB().ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
	})
}

// A model whose type states a collation gets that collation: Diff's MODIFY
// COLUMN (ALTER COLUMN TYPE) does not restate the live column's over it.
func TestReview5DiffAppliesTheModelsOwnCollation(t *testing.T) {
	onServers(t, []string{"mysql", "postgres"}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var model any
		var create, want string
		switch db.Dialect {
		case "mysql":
			create = "CREATE TABLE r5_widen (id BIGINT AUTO_INCREMENT PRIMARY KEY, " +
				"name VARCHAR(40) COLLATE utf8mb4_general_ci NULL) DEFAULT CHARSET=utf8mb4"
			model, want = R5OwnCollation{}, "utf8mb4_bin"
		case "postgres":
			create = `CREATE TABLE r5_widen (id BIGSERIAL PRIMARY KEY, name VARCHAR(40) COLLATE "C")`
			model, want = R5OwnCollationPG{}, "ucs_basic"
		}
		_, err := db.DB().ExecContext(ctx, create)
		require.NoError(t, err)
		_, name := r5Apply(t, db, model)
		assert.Equal(t, want, name.Collation, "the model's collation")
	})
}

// A column whose collation lives in a schema off the search path keeps it
// through ALTER COLUMN TYPE: Diff names the collation with its schema.
func TestReview5DiffKeepsACollationOfAnotherSchema(t *testing.T) {
	onServers(t, []string{"postgres"}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, q := range []string{`CREATE SCHEMA IF NOT EXISTS r5_colls`,
			`CREATE COLLATION IF NOT EXISTS r5_colls.r5_c FROM "C"`,
			`CREATE TABLE r5_widen (id BIGSERIAL PRIMARY KEY, name VARCHAR(40) COLLATE r5_colls.r5_c)`} {
			_, err := db.DB().ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
		t.Cleanup(func() { _, _ = db.DB().ExecContext(ctx, `DROP SCHEMA IF EXISTS r5_colls CASCADE`) })
		plan, name := r5Apply(t, db, R5Widen{})
		assert.Contains(t, name.Collation, "r5_c")
		for _, q := range plan.DownSQL() {
			_, err := db.DB().ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
	})
}
