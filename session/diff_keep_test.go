package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// KeepAttrs is a model of a table made by hand, whose name column has a
// collation other than the table's, a comment, and (MySQL) a time column
// set ON UPDATE: the model widens name and makes it NOT NULL, and (MySQL)
// gives stamp microseconds.
type KeepAttrs struct {
	record.Base[KeepAttrs]
	ID    int64      `db:"id,pk,autoincrement"`
	Name  string     `db:"name,size=50"`
	Stamp *time.Time `db:"stamp"`
}

func (KeepAttrs) TableName() string { return "keep_attrs" }

// Diff's ALTER statements change what the model asks for and keep what it
// does not know of: MySQL's MODIFY COLUMN restates the column's collation,
// comment and ON UPDATE, PostgreSQL's ALTER COLUMN TYPE its collation; the
// plan's Down statements put them back as they were too.
func TestDiffKeepsCollationCommentAndOnUpdate(t *testing.T) {
	onServers(t, []string{"mysql", "postgres"}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var create []string
		var want session.TableColumn
		switch db.Dialect {
		case "mysql":
			create = []string{"CREATE TABLE keep_attrs (id BIGINT AUTO_INCREMENT PRIMARY KEY, " +
				`name VARCHAR(40) COLLATE utf8mb4_general_ci NULL COMMENT 'it''s the \\name', ` +
				"stamp DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"}
			want = session.TableColumn{Collation: "utf8mb4_general_ci", Comment: `it's the \name`}
		case "postgres":
			create = []string{`CREATE TABLE keep_attrs (id BIGSERIAL PRIMARY KEY, name VARCHAR(40) COLLATE "C", stamp TIMESTAMPTZ)`,
				`COMMENT ON COLUMN keep_attrs.name IS 'it''s the \name'`}
			want = session.TableColumn{Collation: "C", Comment: `it's the \name`}
		}
		for _, q := range create {
			_, err := db.DB().ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
		check := func(t *testing.T, notNull bool) {
			t.Helper()
			tables := schemaOf(t, db)
			require.Contains(t, tables, "keep_attrs")
			cols := map[string]session.TableColumn{}
			for _, c := range tables["keep_attrs"].Columns {
				cols[c.Name] = c
			}
			name := cols["name"]
			assert.Equal(t, notNull, name.NotNull, "the change itself")
			assert.Equal(t, want.Collation, name.Collation, "collation")
			assert.Equal(t, want.Comment, name.Comment, "comment")
			if db.Dialect == "mysql" {
				fsp := map[bool]string{true: "6", false: "3"}[notNull]
				assert.Contains(t, cols["stamp"].Type, "("+fsp+")", "the change itself")
				assert.Equal(t, "current_timestamp("+fsp+")", strings.ToLower(cols["stamp"].OnUpdate), "on update, at the column's precision")
			}
		}
		check(t, false)

		plan, err := db.Diff(ctx, KeepAttrs{})
		require.NoError(t, err)
		require.False(t, plan.Empty())
		require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()))
		check(t, true)
		again, err := db.Diff(ctx, KeepAttrs{})
		require.NoError(t, err)
		assert.True(t, again.Empty(), "after Apply:\n%s", again)

		require.NoError(t, db.RunDDL(ctx, func(exec func(string, ...any) error) error {
			for _, q := range plan.DownSQL() {
				if err := exec(q); err != nil {
					return err
				}
			}
			return nil
		}))
		check(t, false)
	})
}

// onServers runs fn on a database of each of the given servers, as
// subtests named server=<dialect>: schema features SQLite lacks (it
// rebuilds a changed table from the model's CREATE TABLE, diff_sqlite.go),
// outside the suite that every dialect passes.
func onServers(t *testing.T, dialects []string, fn func(t *testing.T, db *dbtest.DB)) {
	for _, d := range dialects {
		t.Run("server="+d, func(t *testing.T) { fn(t, dbtest.Open(t, d, dbtest.Options{})) })
	}
}
