package sqlgen_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

// Article exercises every column feature the DDL knows: an autoincrement
// key, sized and unsized strings, unique, index, a foreign key, defaults, a
// nullable pointer, times, bytes, bools, floats, ints of every size, an
// explicit SQL type and JSON.
type Article struct {
	ID        int64           `db:"id,pk,autoincrement"`
	Title     string          `db:"title,size=200"`
	Body      string          `db:"body"`
	Slug      string          `db:"slug,size=100,unique"`
	Category  string          `db:"category,size=50,index"`
	AuthorID  int64           `db:"author_id,fk=author.id"`
	Status    string          `db:"status,size=20,default='draft'"`
	Subtitle  *string         `db:"subtitle,size=100"`
	Published time.Time       `db:"published"`
	Edited    *time.Time      `db:"edited"`
	Cover     []byte          `db:"cover"`
	Draft     bool            `db:"draft,default=false"`
	Rating    float64         `db:"rating"`
	Weight    float32         `db:"weight"`
	Views     int32           `db:"views"`
	Rank      int16           `db:"rank"`
	Flags     uint8           `db:"flags"`
	Hits      uint64          `db:"hits"`
	Price     string          `db:"price,type=DECIMAL(10,2)"`
	Meta      json.RawMessage `db:"meta"`
}

// ArticleTag has a composite primary key.
type ArticleTag struct {
	ArticleID int64  `db:"article_id,pk=1,fk=article.id"`
	Tag       string `db:"tag,pk=2,size=30"`
	Weight    int    `db:"weight,default=1"`
}

// Ticket has nothing but its generated key.
type Ticket struct {
	ID int64 `db:"id,pk,autoincrement"`
}

// Setting has a string key that the database does not generate.
type Setting struct {
	Key   string `db:"key,pk"`
	Value string `db:"value"`
}

// Post is small enough for readable query goldens.
type Post struct {
	ID    int64  `db:"id,pk,autoincrement"`
	Title string `db:"title,size=100"`
	Views int32  `db:"views"`
}

var dialects = []builder.Dialect{builder.SQLite, builder.MySQL, builder.Postgres}

func modelOf[T any](t *testing.T) *registry.Model {
	t.Helper()
	m, err := registry.Of[T]()
	require.NoError(t, err)
	return m
}

// my turns a golden written with "double quotes" into MySQL's `backticks`,
// so that the MySQL goldens read like the others and fit in raw strings.
func my(s string) string { return strings.ReplaceAll(s, `"`, "`") }

// golden is the expected text of a model's fixed statements in one dialect.
type golden struct {
	createTable   []string
	get           string
	exists        string
	delete        string
	update        string
	insert        string // every column
	insertOmitKey string // without the autoincrement key
	upsert        string
	upsertOmitKey string
	drop          string
}

var goldenArticle = map[string]golden{
	"sqlite": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "article" (
	"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	"title" VARCHAR(200) NOT NULL,
	"body" TEXT NOT NULL,
	"slug" VARCHAR(100) NOT NULL UNIQUE,
	"category" VARCHAR(50) NOT NULL,
	"author_id" INTEGER NOT NULL,
	"status" VARCHAR(20) NOT NULL DEFAULT 'draft',
	"subtitle" VARCHAR(100),
	"published" DATETIME NOT NULL,
	"edited" DATETIME,
	"cover" BLOB,
	"draft" BOOLEAN NOT NULL DEFAULT false,
	"rating" REAL NOT NULL,
	"weight" REAL NOT NULL,
	"views" INTEGER NOT NULL,
	"rank" INTEGER NOT NULL,
	"flags" INTEGER NOT NULL,
	"hits" INTEGER NOT NULL,
	"price" DECIMAL(10,2) NOT NULL,
	"meta" TEXT,
	FOREIGN KEY ("author_id") REFERENCES "author" ("id")
)`,
			`CREATE INDEX IF NOT EXISTS "ix_article_category" ON "article" ("category")`,
		},
		get:           `SELECT "id", "title", "body", "slug", "category", "author_id", "status", "subtitle", "published", "edited", "cover", "draft", "rating", "weight", "views", "rank", "flags", "hits", "price", "meta" FROM "article" WHERE "id" = ?`,
		exists:        `SELECT 1 FROM "article" WHERE "id" = ?`,
		delete:        `DELETE FROM "article" WHERE "id" = ?`,
		update:        `UPDATE "article" SET "title" = ?, "body" = ?, "slug" = ?, "category" = ?, "author_id" = ?, "status" = ?, "subtitle" = ?, "published" = ?, "edited" = ?, "cover" = ?, "draft" = ?, "rating" = ?, "weight" = ?, "views" = ?, "rank" = ?, "flags" = ?, "hits" = ?, "price" = ?, "meta" = ? WHERE "id" = ?`,
		insert:        `INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		insertOmitKey: `INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		upsert:        `INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT ("id") DO UPDATE SET "title" = excluded."title", "body" = excluded."body", "slug" = excluded."slug", "category" = excluded."category", "author_id" = excluded."author_id", "status" = excluded."status", "subtitle" = excluded."subtitle", "published" = excluded."published", "edited" = excluded."edited", "cover" = excluded."cover", "draft" = excluded."draft", "rating" = excluded."rating", "weight" = excluded."weight", "views" = excluded."views", "rank" = excluded."rank", "flags" = excluded."flags", "hits" = excluded."hits", "price" = excluded."price", "meta" = excluded."meta"`,
		upsertOmitKey: `INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT ("id") DO UPDATE SET "title" = excluded."title", "body" = excluded."body", "slug" = excluded."slug", "category" = excluded."category", "author_id" = excluded."author_id", "status" = excluded."status", "subtitle" = excluded."subtitle", "published" = excluded."published", "edited" = excluded."edited", "cover" = excluded."cover", "draft" = excluded."draft", "rating" = excluded."rating", "weight" = excluded."weight", "views" = excluded."views", "rank" = excluded."rank", "flags" = excluded."flags", "hits" = excluded."hits", "price" = excluded."price", "meta" = excluded."meta"`,
		drop:          `DROP TABLE IF EXISTS "article"`,
	},
	"mysql": {
		createTable: []string{
			my(`CREATE TABLE IF NOT EXISTS "article" (
	"id" BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	"title" VARCHAR(200) NOT NULL,
	"body" LONGTEXT NOT NULL,
	"slug" VARCHAR(100) NOT NULL UNIQUE,
	"category" VARCHAR(50) NOT NULL,
	"author_id" BIGINT NOT NULL,
	"status" VARCHAR(20) NOT NULL DEFAULT 'draft',
	"subtitle" VARCHAR(100),
	"published" DATETIME(6) NOT NULL,
	"edited" DATETIME(6),
	"cover" LONGBLOB,
	"draft" BOOLEAN NOT NULL DEFAULT false,
	"rating" DOUBLE NOT NULL,
	"weight" FLOAT NOT NULL,
	"views" INT NOT NULL,
	"rank" SMALLINT NOT NULL,
	"flags" TINYINT UNSIGNED NOT NULL,
	"hits" BIGINT UNSIGNED NOT NULL,
	"price" DECIMAL(10,2) NOT NULL,
	"meta" JSON,
	FOREIGN KEY ("author_id") REFERENCES "author" ("id"),
	INDEX "ix_article_category" ("category")
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`),
		},
		get:           my(`SELECT "id", "title", "body", "slug", "category", "author_id", "status", "subtitle", "published", "edited", "cover", "draft", "rating", "weight", "views", "rank", "flags", "hits", "price", "meta" FROM "article" WHERE "id" = ?`),
		exists:        my(`SELECT 1 FROM "article" WHERE "id" = ?`),
		delete:        my(`DELETE FROM "article" WHERE "id" = ?`),
		update:        my(`UPDATE "article" SET "title" = ?, "body" = ?, "slug" = ?, "category" = ?, "author_id" = ?, "status" = ?, "subtitle" = ?, "published" = ?, "edited" = ?, "cover" = ?, "draft" = ?, "rating" = ?, "weight" = ?, "views" = ?, "rank" = ?, "flags" = ?, "hits" = ?, "price" = ?, "meta" = ? WHERE "id" = ?`),
		insert:        my(`INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		insertOmitKey: my(`INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		upsert:        my(`INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON DUPLICATE KEY UPDATE "title" = VALUES("title"), "body" = VALUES("body"), "slug" = VALUES("slug"), "category" = VALUES("category"), "author_id" = VALUES("author_id"), "status" = VALUES("status"), "subtitle" = VALUES("subtitle"), "published" = VALUES("published"), "edited" = VALUES("edited"), "cover" = VALUES("cover"), "draft" = VALUES("draft"), "rating" = VALUES("rating"), "weight" = VALUES("weight"), "views" = VALUES("views"), "rank" = VALUES("rank"), "flags" = VALUES("flags"), "hits" = VALUES("hits"), "price" = VALUES("price"), "meta" = VALUES("meta")`),
		upsertOmitKey: my(`INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON DUPLICATE KEY UPDATE "title" = VALUES("title"), "body" = VALUES("body"), "slug" = VALUES("slug"), "category" = VALUES("category"), "author_id" = VALUES("author_id"), "status" = VALUES("status"), "subtitle" = VALUES("subtitle"), "published" = VALUES("published"), "edited" = VALUES("edited"), "cover" = VALUES("cover"), "draft" = VALUES("draft"), "rating" = VALUES("rating"), "weight" = VALUES("weight"), "views" = VALUES("views"), "rank" = VALUES("rank"), "flags" = VALUES("flags"), "hits" = VALUES("hits"), "price" = VALUES("price"), "meta" = VALUES("meta")`),
		drop:          my(`DROP TABLE IF EXISTS "article"`),
	},
	"postgres": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "article" (
	"id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	"title" VARCHAR(200) NOT NULL,
	"body" TEXT NOT NULL,
	"slug" VARCHAR(100) NOT NULL UNIQUE,
	"category" VARCHAR(50) NOT NULL,
	"author_id" BIGINT NOT NULL,
	"status" VARCHAR(20) NOT NULL DEFAULT 'draft',
	"subtitle" VARCHAR(100),
	"published" TIMESTAMPTZ NOT NULL,
	"edited" TIMESTAMPTZ,
	"cover" BYTEA,
	"draft" BOOLEAN NOT NULL DEFAULT false,
	"rating" DOUBLE PRECISION NOT NULL,
	"weight" REAL NOT NULL,
	"views" INTEGER NOT NULL,
	"rank" SMALLINT NOT NULL,
	"flags" INTEGER NOT NULL,
	"hits" NUMERIC(20) NOT NULL,
	"price" DECIMAL(10,2) NOT NULL,
	"meta" JSONB,
	FOREIGN KEY ("author_id") REFERENCES "author" ("id")
)`,
			`CREATE INDEX IF NOT EXISTS "ix_article_category" ON "article" ("category")`,
		},
		get:           `SELECT "id", "title", "body", "slug", "category", "author_id", "status", "subtitle", "published", "edited", "cover", "draft", "rating", "weight", "views", "rank", "flags", "hits", "price", "meta" FROM "article" WHERE "id" = $1`,
		exists:        `SELECT 1 FROM "article" WHERE "id" = $1`,
		delete:        `DELETE FROM "article" WHERE "id" = $1`,
		update:        `UPDATE "article" SET "title" = $1, "body" = $2, "slug" = $3, "category" = $4, "author_id" = $5, "status" = $6, "subtitle" = $7, "published" = $8, "edited" = $9, "cover" = $10, "draft" = $11, "rating" = $12, "weight" = $13, "views" = $14, "rank" = $15, "flags" = $16, "hits" = $17, "price" = $18, "meta" = $19 WHERE "id" = $20`,
		insert:        `INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20) RETURNING "id"`,
		insertOmitKey: `INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING "id"`,
		upsert:        `INSERT INTO "article" ("id","title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20) ON CONFLICT ("id") DO UPDATE SET "title" = excluded."title", "body" = excluded."body", "slug" = excluded."slug", "category" = excluded."category", "author_id" = excluded."author_id", "status" = excluded."status", "subtitle" = excluded."subtitle", "published" = excluded."published", "edited" = excluded."edited", "cover" = excluded."cover", "draft" = excluded."draft", "rating" = excluded."rating", "weight" = excluded."weight", "views" = excluded."views", "rank" = excluded."rank", "flags" = excluded."flags", "hits" = excluded."hits", "price" = excluded."price", "meta" = excluded."meta" RETURNING "id"`,
		upsertOmitKey: `INSERT INTO "article" ("title","body","slug","category","author_id","status","subtitle","published","edited","cover","draft","rating","weight","views","rank","flags","hits","price","meta") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) ON CONFLICT ("id") DO UPDATE SET "title" = excluded."title", "body" = excluded."body", "slug" = excluded."slug", "category" = excluded."category", "author_id" = excluded."author_id", "status" = excluded."status", "subtitle" = excluded."subtitle", "published" = excluded."published", "edited" = excluded."edited", "cover" = excluded."cover", "draft" = excluded."draft", "rating" = excluded."rating", "weight" = excluded."weight", "views" = excluded."views", "rank" = excluded."rank", "flags" = excluded."flags", "hits" = excluded."hits", "price" = excluded."price", "meta" = excluded."meta" RETURNING "id"`,
		drop:          `DROP TABLE IF EXISTS "article"`,
	},
}

var goldenArticleTag = map[string]golden{
	"sqlite": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "article_tag" (
	"article_id" INTEGER NOT NULL,
	"tag" VARCHAR(30) NOT NULL,
	"weight" INTEGER NOT NULL DEFAULT 1,
	PRIMARY KEY ("article_id", "tag"),
	FOREIGN KEY ("article_id") REFERENCES "article" ("id")
)`,
		},
		get:    `SELECT "article_id", "tag", "weight" FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`,
		exists: `SELECT 1 FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`,
		delete: `DELETE FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`,
		update: `UPDATE "article_tag" SET "weight" = ? WHERE "article_id" = ? AND "tag" = ?`,
		insert: `INSERT INTO "article_tag" ("article_id","tag","weight") VALUES (?,?,?)`,
		upsert: `INSERT INTO "article_tag" ("article_id","tag","weight") VALUES (?,?,?) ON CONFLICT ("article_id", "tag") DO UPDATE SET "weight" = excluded."weight"`,
		drop:   `DROP TABLE IF EXISTS "article_tag"`,
	},
	"mysql": {
		createTable: []string{
			my(`CREATE TABLE IF NOT EXISTS "article_tag" (
	"article_id" BIGINT NOT NULL,
	"tag" VARCHAR(30) NOT NULL,
	"weight" BIGINT NOT NULL DEFAULT 1,
	PRIMARY KEY ("article_id", "tag"),
	FOREIGN KEY ("article_id") REFERENCES "article" ("id")
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`),
		},
		get:    my(`SELECT "article_id", "tag", "weight" FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`),
		exists: my(`SELECT 1 FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`),
		delete: my(`DELETE FROM "article_tag" WHERE "article_id" = ? AND "tag" = ?`),
		update: my(`UPDATE "article_tag" SET "weight" = ? WHERE "article_id" = ? AND "tag" = ?`),
		insert: my(`INSERT INTO "article_tag" ("article_id","tag","weight") VALUES (?,?,?)`),
		upsert: my(`INSERT INTO "article_tag" ("article_id","tag","weight") VALUES (?,?,?) ON DUPLICATE KEY UPDATE "weight" = VALUES("weight")`),
		drop:   my(`DROP TABLE IF EXISTS "article_tag"`),
	},
	"postgres": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "article_tag" (
	"article_id" BIGINT NOT NULL,
	"tag" VARCHAR(30) NOT NULL,
	"weight" BIGINT NOT NULL DEFAULT 1,
	PRIMARY KEY ("article_id", "tag"),
	FOREIGN KEY ("article_id") REFERENCES "article" ("id")
)`,
		},
		get:    `SELECT "article_id", "tag", "weight" FROM "article_tag" WHERE "article_id" = $1 AND "tag" = $2`,
		exists: `SELECT 1 FROM "article_tag" WHERE "article_id" = $1 AND "tag" = $2`,
		delete: `DELETE FROM "article_tag" WHERE "article_id" = $1 AND "tag" = $2`,
		update: `UPDATE "article_tag" SET "weight" = $1 WHERE "article_id" = $2 AND "tag" = $3`,
		insert: `INSERT INTO "article_tag" ("article_id","tag","weight") VALUES ($1,$2,$3)`,
		upsert: `INSERT INTO "article_tag" ("article_id","tag","weight") VALUES ($1,$2,$3) ON CONFLICT ("article_id", "tag") DO UPDATE SET "weight" = excluded."weight"`,
		drop:   `DROP TABLE IF EXISTS "article_tag"`,
	},
}

var goldenTicket = map[string]golden{
	"sqlite": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "ticket" (
	"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT
)`,
		},
		get:           `SELECT "id" FROM "ticket" WHERE "id" = ?`,
		exists:        `SELECT 1 FROM "ticket" WHERE "id" = ?`,
		delete:        `DELETE FROM "ticket" WHERE "id" = ?`,
		update:        ``,
		insert:        `INSERT INTO "ticket" ("id") VALUES (?)`,
		insertOmitKey: `INSERT INTO "ticket" DEFAULT VALUES`,
		upsert:        `INSERT INTO "ticket" ("id") VALUES (?) ON CONFLICT ("id") DO NOTHING`,
		upsertOmitKey: `INSERT INTO "ticket" DEFAULT VALUES`,
		drop:          `DROP TABLE IF EXISTS "ticket"`,
	},
	"mysql": {
		createTable: []string{
			my(`CREATE TABLE IF NOT EXISTS "ticket" (
	"id" BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`),
		},
		get:           my(`SELECT "id" FROM "ticket" WHERE "id" = ?`),
		exists:        my(`SELECT 1 FROM "ticket" WHERE "id" = ?`),
		delete:        my(`DELETE FROM "ticket" WHERE "id" = ?`),
		update:        ``,
		insert:        my(`INSERT INTO "ticket" ("id") VALUES (?)`),
		insertOmitKey: my(`INSERT INTO "ticket" () VALUES ()`),
		upsert:        my(`INSERT INTO "ticket" ("id") VALUES (?) ON DUPLICATE KEY UPDATE "id" = "id"`),
		upsertOmitKey: my(`INSERT INTO "ticket" () VALUES ()`),
		drop:          my(`DROP TABLE IF EXISTS "ticket"`),
	},
	"postgres": {
		createTable: []string{
			`CREATE TABLE IF NOT EXISTS "ticket" (
	"id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY
)`,
		},
		get:           `SELECT "id" FROM "ticket" WHERE "id" = $1`,
		exists:        `SELECT 1 FROM "ticket" WHERE "id" = $1`,
		delete:        `DELETE FROM "ticket" WHERE "id" = $1`,
		update:        ``,
		insert:        `INSERT INTO "ticket" ("id") VALUES ($1) RETURNING "id"`,
		insertOmitKey: `INSERT INTO "ticket" DEFAULT VALUES RETURNING "id"`,
		upsert:        `INSERT INTO "ticket" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
		upsertOmitKey: `INSERT INTO "ticket" DEFAULT VALUES RETURNING "id"`,
		drop:          `DROP TABLE IF EXISTS "ticket"`,
	},
}

func TestGoldenStatements(t *testing.T) {
	models := []struct {
		model  *registry.Model
		golden map[string]golden
	}{
		{modelOf[Article](t), goldenArticle},
		{modelOf[ArticleTag](t), goldenArticleTag},
		{modelOf[Ticket](t), goldenTicket},
	}
	for _, tm := range models {
		for _, d := range dialects {
			g, ok := tm.golden[d.Name()]
			require.True(t, ok, d.Name())
			s := sqlgen.For(d, tm.model)
			prefix := d.Name() + " " + tm.model.Name + " "
			t.Run(prefix+"creates the table and its indexes", func(t *testing.T) {
				assert.Equal(t, g.createTable, s.CreateTable)
			})
			t.Run(prefix+"gets a row by key", func(t *testing.T) { assert.Equal(t, g.get, s.Get) })
			t.Run(prefix+"checks that a row exists", func(t *testing.T) { assert.Equal(t, g.exists, s.Exists) })
			t.Run(prefix+"deletes a row by key", func(t *testing.T) { assert.Equal(t, g.delete, s.Delete) })
			t.Run(prefix+"updates every non-key column", func(t *testing.T) { assert.Equal(t, g.update, s.Update) })
			t.Run(prefix+"inserts every column", func(t *testing.T) { assert.Equal(t, g.insert, s.Insert(registry.ColumnSet{}).SQL) })
			t.Run(prefix+"upserts every column", func(t *testing.T) { assert.Equal(t, g.upsert, s.Upsert(registry.ColumnSet{}).SQL) })
			t.Run(prefix+"drops the table", func(t *testing.T) { assert.Equal(t, g.drop, s.DropTable) })
			if ai := tm.model.AutoIncrement; ai != nil {
				omit := registry.ColumnSetOf(meta.Pos(ai))
				t.Run(prefix+"inserts without the autoincrement key", func(t *testing.T) {
					assert.Equal(t, g.insertOmitKey, s.Insert(omit).SQL)
				})
				t.Run(prefix+"upserts without the autoincrement key", func(t *testing.T) {
					assert.Equal(t, g.upsertOmitKey, s.Upsert(omit).SQL)
				})
			}
		}
	}
}

func TestStringKeyWithoutSize(t *testing.T) {
	m := modelOf[Setting](t)
	want := map[string]string{
		"sqlite": `CREATE TABLE IF NOT EXISTS "setting" (
	"key" TEXT NOT NULL,
	"value" TEXT NOT NULL,
	PRIMARY KEY ("key")
)`,
		"mysql": my(`CREATE TABLE IF NOT EXISTS "setting" (
	"key" VARCHAR(255) NOT NULL,
	"value" LONGTEXT NOT NULL,
	PRIMARY KEY ("key")
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`),
		"postgres": `CREATE TABLE IF NOT EXISTS "setting" (
	"key" TEXT NOT NULL,
	"value" TEXT NOT NULL,
	PRIMARY KEY ("key")
)`,
	}
	for _, d := range dialects {
		t.Run(d.Name()+" declares the key in a PRIMARY KEY clause", func(t *testing.T) {
			assert.Equal(t, []string{want[d.Name()]}, sqlgen.For(d, m).CreateTable)
		})
	}
}

func TestStatementColumns(t *testing.T) {
	m := modelOf[Article](t)
	names := func(cols []*registry.Column) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = c.Name
		}
		return out
	}
	all := m.ColumnNames()
	for _, d := range dialects {
		s := sqlgen.For(d, m)
		t.Run(d.Name()+" statements know their dialect and model", func(t *testing.T) {
			assert.Equal(t, d, s.Dialect)
			assert.Same(t, m, s.Model)
		})
		t.Run(d.Name()+" Columns is the quoted select list", func(t *testing.T) {
			quoted := make([]string, len(all))
			for i, n := range all {
				quoted[i] = d.Quote(n)
			}
			assert.Equal(t, strings.Join(quoted, ", "), s.Columns)
		})
		t.Run(d.Name()+" UpdateCols are the non-key columns", func(t *testing.T) {
			assert.Equal(t, all[1:], names(s.UpdateCols))
		})
		t.Run(d.Name()+" Insert binds the columns it does not omit", func(t *testing.T) {
			assert.Equal(t, all, names(s.Insert(registry.ColumnSet{}).Columns))
			assert.Equal(t, all[1:], names(s.Insert(registry.ColumnSetOf(0)).Columns))
			assert.Equal(t, []string{"id", "body"}, names(s.Insert(allBut(len(all), 0, 2)).Columns))
			assert.Equal(t, all[1:], names(s.Upsert(registry.ColumnSetOf(0)).Columns))
		})
	}
	t.Run("an id-only insert binds no columns", func(t *testing.T) {
		ins := sqlgen.For(builder.SQLite, modelOf[Ticket](t)).Insert(registry.ColumnSetOf(0))
		assert.Empty(t, ins.Columns)
	})
}

// allBut is the set of the first n columns but those at the given positions.
func allBut(n int, except ...int) registry.ColumnSet {
	var s registry.ColumnSet
	for i := range n {
		if !slices.Contains(except, i) {
			s.Add(i)
		}
	}
	return s
}

func TestUpdateOf(t *testing.T) {
	article, tag := modelOf[Article](t), modelOf[ArticleTag](t)
	titleStatus := map[string]string{
		"sqlite":   `UPDATE "article" SET "title" = ?, "status" = ? WHERE "id" = ?`,
		"mysql":    my(`UPDATE "article" SET "title" = ?, "status" = ? WHERE "id" = ?`),
		"postgres": `UPDATE "article" SET "title" = $1, "status" = $2 WHERE "id" = $3`,
	}
	weight := map[string]string{
		"sqlite":   `UPDATE "article_tag" SET "weight" = ? WHERE "article_id" = ? AND "tag" = ?`,
		"mysql":    my(`UPDATE "article_tag" SET "weight" = ? WHERE "article_id" = ? AND "tag" = ?`),
		"postgres": `UPDATE "article_tag" SET "weight" = $1 WHERE "article_id" = $2 AND "tag" = $3`,
	}
	for _, d := range dialects {
		s := sqlgen.For(d, article)
		t.Run(d.Name()+" sets the columns of the set and never the key", func(t *testing.T) {
			u := s.UpdateOf(registry.ColumnSetOf(0, 1, 6))
			assert.Equal(t, titleStatus[d.Name()], u.SQL)
			require.Len(t, u.Columns, 2)
			assert.Equal(t, "title", u.Columns[0].Name)
			assert.Equal(t, "status", u.Columns[1].Name)
		})
		t.Run(d.Name()+" ignores positions beyond the columns", func(t *testing.T) {
			u := s.UpdateOf(registry.ColumnSetOf(300, 63, 40, 1, 6))
			assert.Equal(t, titleStatus[d.Name()], u.SQL)
		})
		t.Run(d.Name()+" gives no SQL for a mask of key columns only", func(t *testing.T) {
			u := s.UpdateOf(registry.ColumnSetOf(0))
			assert.Empty(t, u.SQL)
			assert.Empty(t, u.Columns)
			assert.Empty(t, s.UpdateOf(registry.ColumnSet{}).SQL)
		})
		t.Run(d.Name()+" caches each column set", func(t *testing.T) {
			assert.Same(t, s.UpdateOf(registry.ColumnSetOf(1, 6)), s.UpdateOf(registry.ColumnSetOf(6, 1)))
		})
		t.Run(d.Name()+" puts composite key columns last", func(t *testing.T) {
			u := sqlgen.For(d, tag).UpdateOf(registry.ColumnSetOf(0, 2))
			assert.Equal(t, weight[d.Name()], u.SQL)
		})
	}
}

func TestForCachesStatements(t *testing.T) {
	m := modelOf[Article](t)
	t.Run("For returns the same statements twice", func(t *testing.T) {
		for _, d := range dialects {
			assert.Same(t, sqlgen.For(d, m), sqlgen.For(d, m), d.Name())
		}
	})
	t.Run("each dialect has its own statements", func(t *testing.T) {
		assert.NotSame(t, sqlgen.For(builder.SQLite, m), sqlgen.For(builder.Postgres, m))
		assert.NotSame(t, sqlgen.For(builder.SQLite, m), sqlgen.For(builder.MySQL, m))
	})
	t.Run("each model has its own statements", func(t *testing.T) {
		assert.NotSame(t, sqlgen.For(builder.SQLite, m), sqlgen.For(builder.SQLite, modelOf[Post](t)))
	})
	t.Run("Insert and Upsert variants are cached per column set", func(t *testing.T) {
		s := sqlgen.For(builder.Postgres, m)
		assert.Same(t, s.Insert(registry.ColumnSetOf(0)), s.Insert(registry.ColumnSetOf(0)))
		assert.Same(t, s.Upsert(registry.ColumnSetOf(0)), s.Upsert(registry.ColumnSetOf(0)))
		assert.NotSame(t, s.Insert(registry.ColumnSetOf(0)), s.Insert(registry.ColumnSet{}))
		assert.NotEqual(t, s.Insert(registry.ColumnSetOf(0)).SQL, s.Upsert(registry.ColumnSetOf(0)).SQL)
	})
	t.Run("concurrent callers share one cache entry", func(t *testing.T) {
		m := modelOf[ArticleTag](t)
		const workers = 16
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			stmts   [workers]*sqlgen.Statements
			inserts [workers]*sqlgen.Insert
			updates [workers]*sqlgen.Update
		)
		for i := range workers {
			wg.Go(func() {
				<-start
				s := sqlgen.For(builder.MySQL, m)
				stmts[i], inserts[i], updates[i] = s, s.Insert(registry.ColumnSetOf(1)), s.UpdateOf(registry.ColumnSetOf(2))
			})
		}
		close(start)
		wg.Wait()
		for i := range workers {
			assert.Same(t, stmts[0], stmts[i])
			assert.Same(t, inserts[0], inserts[i])
			assert.Same(t, updates[0], updates[i])
		}
	})
}

// ---------------------------------------------------------------------------
// Criteria

func TestResolveRewritesKeys(t *testing.T) {
	m := modelOf[Post](t)
	for _, d := range dialects {
		t.Run(d.Name()+" quotes column names and Go field names alike", func(t *testing.T) {
			got, err := sqlgen.Resolve(d, m, builder.Eq{"title": "a", "Views": 3})
			require.NoError(t, err)
			assert.Equal(t, builder.Eq{d.Quote("title"): "a", d.Quote("views"): 3}, got)
		})
	}

	d := builder.Postgres
	tests := []struct {
		name string
		in   builder.Sqlizer
		want builder.Sqlizer
	}{
		{"Eq", builder.Eq{"title": "a"}, builder.Eq{`"title"`: "a"}},
		{"NotEq", builder.NotEq{"title": "a"}, builder.NotEq{`"title"`: "a"}},
		{"Gt", builder.Gt{"views": 1}, builder.Gt{`"views"`: 1}},
		{"GtOrEq", builder.GtOrEq{"views": 1}, builder.GtOrEq{`"views"`: 1}},
		{"Lt", builder.Lt{"views": 1}, builder.Lt{`"views"`: 1}},
		{"LtOrEq", builder.LtOrEq{"views": 1}, builder.LtOrEq{`"views"`: 1}},
		{"Like", builder.Like{"title": "a%"}, builder.Like{`"title"`: "a%"}},
		{"NotLike", builder.NotLike{"title": "a%"}, builder.NotLike{`"title"`: "a%"}},
		{"ILike", builder.ILike{"title": "a%"}, builder.ILike{`"title"`: "a%"}},
		{"NotILike", builder.NotILike{"title": "a%"}, builder.NotILike{`"title"`: "a%"}},
		{"And", builder.And{builder.Eq{"id": 1}, builder.Gt{"views": 2}}, builder.And{builder.Eq{`"id"`: 1}, builder.Gt{`"views"`: 2}}},
		{"Or", builder.Or{builder.Eq{"id": 1}, builder.Lt{"views": 2}}, builder.Or{builder.Eq{`"id"`: 1}, builder.Lt{`"views"`: 2}}},
		{"nested And and Or", builder.And{builder.Or{builder.Eq{"ID": 1}, builder.And{builder.Like{"Title": "x"}}}},
			builder.And{builder.Or{builder.Eq{`"id"`: 1}, builder.And{builder.Like{`"title"`: "x"}}}}},
	}
	for _, tc := range tests {
		t.Run("a "+tc.name+" criterion keeps its type with quoted keys", func(t *testing.T) {
			got, err := sqlgen.Resolve(d, m, tc.in)
			require.NoError(t, err)
			assert.IsType(t, tc.in, got)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestResolveLeavesExprAlone(t *testing.T) {
	m := modelOf[Post](t)
	e := builder.Expr("lower(title) = ?", "x")
	got, err := sqlgen.Resolve(builder.SQLite, m, e)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	t.Run("inside an And too", func(t *testing.T) {
		got, err := sqlgen.Resolve(builder.SQLite, m, builder.And{e, builder.Eq{"id": 1}})
		require.NoError(t, err)
		assert.Equal(t, builder.And{e, builder.Eq{`"id"`: 1}}, got)
	})
}

func TestResolveRejectsUnknownColumns(t *testing.T) {
	m := modelOf[Post](t)
	tests := []struct {
		name string
		in   builder.Sqlizer
	}{
		{"in an Eq", builder.Eq{"title": "a", "nope": 1}},
		{"in a Like", builder.Like{"nope": "a%"}},
		{"nested in an And", builder.And{builder.Eq{"id": 1}, builder.Gt{"nope": 1}}},
		{"nested in an Or", builder.Or{builder.Eq{"nope": 1}}},
		{"nested in an Or inside an And", builder.And{builder.Eq{"id": 1}, builder.Or{builder.Lt{"views": 1}, builder.NotEq{"nope": 1}}}},
		{"with a quoted name", builder.Eq{`"title"`: 1}},
		{"with the table prefix", builder.Eq{"post.title": 1}},
	}
	for _, tc := range tests {
		t.Run("it rejects an unknown column "+tc.name, func(t *testing.T) {
			_, err := sqlgen.Resolve(builder.MySQL, m, tc.in)
			require.ErrorIs(t, err, registry.ErrUnknownColumn)
			var uc *registry.UnknownColumnError
			require.ErrorAs(t, err, &uc)
			assert.Equal(t, "Post", uc.Model)
		})
	}
	t.Run("it names the unknown column", func(t *testing.T) {
		_, err := sqlgen.Resolve(builder.SQLite, m, builder.And{builder.Or{builder.Eq{"bogus": 1}}})
		var uc *registry.UnknownColumnError
		require.ErrorAs(t, err, &uc)
		assert.Equal(t, "bogus", uc.Column)
	})
	t.Run("it rejects a nil criterion", func(t *testing.T) {
		_, err := sqlgen.Resolve(builder.SQLite, m, nil)
		assert.Error(t, err)
		_, err = sqlgen.Resolve(builder.SQLite, m, builder.And{nil})
		assert.Error(t, err)
	})
}

func TestQueriesWithResolvedCriteria(t *testing.T) {
	m := modelOf[Post](t)
	criteria := builder.And{
		builder.Eq{"title": "a"},
		builder.Or{builder.Gt{"views": 3}, builder.Expr("lower(title) = ?", "x")},
	}
	in := builder.Eq{"Title": "a", "views": []int{1, 2}}
	tests := []struct {
		dialect             builder.Dialect
		sel, in, count, del string
	}{
		{builder.SQLite,
			`SELECT "id", "title", "views" FROM "post" WHERE ("title" = ? AND ("views" > ? OR lower(title) = ?))`,
			`SELECT "id", "title", "views" FROM "post" WHERE "title" = ? AND "views" IN (?,?)`,
			`SELECT COUNT(*) FROM "post" WHERE "title" = ? AND "views" IN (?,?)`,
			`DELETE FROM "post" WHERE "title" = ? AND "views" IN (?,?)`},
		{builder.MySQL,
			my(`SELECT "id", "title", "views" FROM "post" WHERE ("title" = ? AND ("views" > ? OR lower(title) = ?))`),
			my(`SELECT "id", "title", "views" FROM "post" WHERE "title" = ? AND "views" IN (?,?)`),
			my(`SELECT COUNT(*) FROM "post" WHERE "title" = ? AND "views" IN (?,?)`),
			my(`DELETE FROM "post" WHERE "title" = ? AND "views" IN (?,?)`)},
		{builder.Postgres,
			`SELECT "id", "title", "views" FROM "post" WHERE ("title" = $1 AND ("views" > $2 OR lower(title) = $3))`,
			`SELECT "id", "title", "views" FROM "post" WHERE "title" = $1 AND "views" IN ($2,$3)`,
			`SELECT COUNT(*) FROM "post" WHERE "title" = $1 AND "views" IN ($2,$3)`,
			`DELETE FROM "post" WHERE "title" = $1 AND "views" IN ($2,$3)`},
	}
	for _, tc := range tests {
		d := tc.dialect
		where, err := sqlgen.Resolve(d, m, criteria)
		require.NoError(t, err)
		whereIn, err := sqlgen.Resolve(d, m, in)
		require.NoError(t, err)
		t.Run(d.Name()+" selects with nested criteria", func(t *testing.T) {
			sql, args, err := sqlgen.Select(d, m).Where(where).ToSql()
			require.NoError(t, err)
			assert.Equal(t, tc.sel, sql)
			assert.Equal(t, []any{"a", 3, "x"}, args)
		})
		t.Run(d.Name()+" selects with a slice as IN", func(t *testing.T) {
			sql, args, err := sqlgen.Select(d, m).Where(whereIn).ToSql()
			require.NoError(t, err)
			assert.Equal(t, tc.in, sql)
			assert.Equal(t, []any{"a", 1, 2}, args)
		})
		t.Run(d.Name()+" counts with criteria", func(t *testing.T) {
			sql, _, err := sqlgen.Count(d, m).Where(whereIn).ToSql()
			require.NoError(t, err)
			assert.Equal(t, tc.count, sql)
		})
		t.Run(d.Name()+" deletes with criteria", func(t *testing.T) {
			sql, args, err := sqlgen.DeleteWhere(d, m).Where(whereIn).ToSql()
			require.NoError(t, err)
			assert.Equal(t, tc.del, sql)
			assert.Equal(t, []any{"a", 1, 2}, args)
		})
	}
}

// ---------------------------------------------------------------------------
// Ordering

func TestParseOrder(t *testing.T) {
	m := modelOf[Post](t)
	type term struct {
		column string
		desc   bool
	}
	tests := []struct {
		name  string
		terms []string
		want  []term
	}{
		{"a bare name is ascending", []string{"title"}, []term{{"title", false}}},
		{"a leading dash is descending", []string{"-title"}, []term{{"title", true}}},
		{"DESC is descending", []string{"title DESC"}, []term{{"title", true}}},
		{"lower-case desc is descending", []string{"title desc"}, []term{{"title", true}}},
		{"asc is ascending", []string{"title asc"}, []term{{"title", false}}},
		{"ASC is ascending", []string{"title ASC"}, []term{{"title", false}}},
		{"extra spaces are ignored", []string{"  title   DESC "}, []term{{"title", true}}},
		{"a Go field name is accepted", []string{"-Views"}, []term{{"views", true}}},
		{"a comma separates terms", []string{"title, -views"}, []term{{"title", false}, {"views", true}}},
		{"terms may be given separately", []string{"views DESC", "id"}, []term{{"views", true}, {"id", false}}},
		{"no terms give no order", nil, []term{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orders, err := sqlgen.ParseOrder(m, tc.terms...)
			require.NoError(t, err)
			got := make([]term, len(orders))
			for i, o := range orders {
				got[i] = term{o.Column.Name, o.Desc}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseOrderRejects(t *testing.T) {
	m := modelOf[Post](t)
	tests := []struct {
		name    string
		term    string
		unknown bool // an unknown column rather than a bad direction
		message string
	}{
		{"an unknown column", "nope", true, `has no column "nope"`},
		{"an unknown descending column", "-nope", true, `has no column "nope"`},
		{"an unknown column in a list", "title, nope DESC", true, `has no column "nope"`},
		{"a dash combined with a direction", "-title DESC", true, `has no column "-title"`},
		{"an empty term", "title,", true, `has no column ""`},
		{"a bad direction", "title sideways", false, "direction must be ASC or DESC"},
		{"a direction followed by more words", "title DESC NULLS LAST", false, "direction must be ASC or DESC"},
	}
	for _, tc := range tests {
		t.Run("it rejects "+tc.name, func(t *testing.T) {
			orders, err := sqlgen.ParseOrder(m, tc.term)
			require.Error(t, err)
			assert.Nil(t, orders)
			assert.Equal(t, tc.unknown, errors.Is(err, registry.ErrUnknownColumn))
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func TestOrderSQL(t *testing.T) {
	m := modelOf[Post](t)
	orders, err := sqlgen.ParseOrder(m, "title", "-views", "id asc")
	require.NoError(t, err)
	tests := []struct {
		dialect builder.Dialect
		want    []string
	}{
		{builder.SQLite, []string{`"title"`, `"views" DESC`, `"id"`}},
		{builder.MySQL, []string{"`title`", "`views` DESC", "`id`"}},
		{builder.Postgres, []string{`"title"`, `"views" DESC`, `"id"`}},
	}
	for _, tc := range tests {
		t.Run(tc.dialect.Name()+" renders quoted terms", func(t *testing.T) {
			assert.Equal(t, tc.want, sqlgen.OrderSQL(tc.dialect, orders))
		})
	}
	t.Run("the terms fit squirrel's OrderBy", func(t *testing.T) {
		sql, _, err := sqlgen.Select(builder.Postgres, m).OrderBy(sqlgen.OrderSQL(builder.Postgres, orders)...).Limit(5).ToSql()
		require.NoError(t, err)
		assert.Equal(t, `SELECT "id", "title", "views" FROM "post" ORDER BY "title", "views" DESC, "id" LIMIT 5`, sql)
	})
}
