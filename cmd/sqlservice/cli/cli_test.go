package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/cmd/sqlservice/cli"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type CliShopV1 struct {
	record.Base[CliShopV1]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=40"`
}

func (CliShopV1) TableName() string { return "cli_shop" }

type CliShopV2 struct {
	record.Base[CliShopV2]
	ID    int64   `db:"id,pk,autoincrement"`
	Name  string  `db:"name,size=40,index"`
	Email *string `db:"email,size=80"`
}

func (CliShopV2) TableName() string { return "cli_shop" }

type CliOrder struct {
	record.Base[CliOrder]
	ID     int64 `db:"id,pk,autoincrement"`
	ShopID int64 `db:"shop_id,fk=cli_shop.id"`
}

func run(t *testing.T, args []string, models ...any) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), args, &out, &errOut, models...)
	return out.String() + errOut.String(), err
}

func schema(t *testing.T, c *session.Client) map[string]*session.Table {
	t.Helper()
	require.NoError(t, c.Reflect(context.Background()))
	out := c.Tables()
	for n := range out {
		if strings.HasPrefix(n, migrate.Table) {
			delete(out, n)
		}
	}
	return out
}

func TestMigrateCommandsFromDiffToDown(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.CreateAll(ctx, CliShopV1{}))
		v1 := schema(t, db.Client)
		dir := filepath.Join(t.TempDir(), "migrations")
		base := []string{"-uri", db.URI, "-dir", dir}
		v2 := []any{CliShopV2{}, CliOrder{}}

		out, err := run(t, append(base, "migrate", "status"))
		require.NoError(t, err)
		assert.Equal(t, "VERSION  NAME  STATE  APPLIED AT\n", out)

		out, err = run(t, append(base, "migrate", "diff", "release_2"), v2...)
		require.NoError(t, err, out)
		assert.Contains(t, out, "0001_release_2.up.sql")
		up, err := os.ReadFile(filepath.Join(dir, "0001_release_2.up.sql"))
		require.NoError(t, err)
		assert.Contains(t, string(up), "-- create table cli_order")

		_, err = run(t, append(base, "migrate", "diff", "again"), v2...)
		require.ErrorContains(t, err, "apply the pending migrations first")

		out, err = run(t, append(base, "migrate", "status"))
		require.NoError(t, err)
		assert.Contains(t, out, "release_2")
		assert.Contains(t, out, "pending")

		out, err = run(t, append(base, "migrate", "up"))
		require.NoError(t, err, out)
		assert.Equal(t, "applied 0001_release_2.up.sql\n", out)
		out, err = run(t, append(base, "migrate", "diff", "nothing"), v2...)
		require.NoError(t, err)
		assert.Contains(t, out, "nothing written")

		out, err = run(t, append(base, "migrate", "down"))
		require.NoError(t, err, out)
		assert.Equal(t, "undid 0001_release_2.down.sql\n", out)
		assert.Equal(t, v1, schema(t, db.Client))
		out, err = run(t, append(base, "migrate", "down"))
		require.NoError(t, err)
		assert.Equal(t, "nothing to undo\n", out)
	})
}

func TestCommandLineMistakesAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	uri := "sqlite:///" + filepath.Join(dir, "x.db")
	for name, args := range map[string][]string{
		"no command":                 {},
		"unknown command":            {"-uri", uri, "frobnicate"},
		"migrate without subcommand": {"-uri", uri, "migrate"},
		"unknown migrate command":    {"-uri", uri, "migrate", "sideways"},
		"new without a name":         {"-uri", uri, "-dir", dir, "migrate", "new"},
		"diff without models":        {"-uri", uri, "-dir", dir, "migrate", "diff", "x"},
		"no database":                {"-uri", "", "migrate", "up"},
		"unknown flag":               {"-uri", uri, "migrate", "up", "-sideways"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(cli.URIEnv, "")
			t.Setenv("DATABASE_URL", "")
			_, err := run(t, args)
			require.ErrorIs(t, err, cli.ErrUsage)
		})
	}
}

func TestMigrateNewAndGen(t *testing.T) {
	dir := t.TempDir()
	uri := "sqlite:///" + filepath.Join(dir, "x.db")
	t.Setenv(cli.URIEnv, uri)
	out, err := run(t, []string{"-dir", dir, "migrate", "new", "add_things"})
	require.NoError(t, err)
	assert.Contains(t, out, "0001_add_things.up.sql")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_add_things.up.sql"), []byte("CREATE TABLE thing (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL);"), 0o644))
	out, err = run(t, []string{"-dir", dir, "migrate", "up"})
	require.NoError(t, err, out)

	file := filepath.Join(dir, "models", "models.go")
	out, err = run(t, []string{"gen", "-pkg", "things", "-o", file})
	require.NoError(t, err, out)
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(src), "package things")
	assert.Contains(t, string(src), "type Thing struct")
	assert.NotContains(t, string(src), "SqlserviceMigrations", "the runner's tables are not models")
}
