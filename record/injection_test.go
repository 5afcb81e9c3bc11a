package record_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// injectionPayloads is the hostile-input corpus: quotes, comments, stacked
// statements, placeholder look-alikes, homoglyphs and invisible characters,
// NUL bytes and very long strings, each also wrapped in the contexts an
// attacker would try (after a value, inside a name).
func injectionPayloads() []string {
	base := []string{
		`'`, `"`, "`", `\`, `''`, `\'`, `\"`, `'--`, `' OR '1'='1`, `" OR "1"="1`, "` OR 1=1 --",
		`'; DROP TABLE person; --`, `"; DROP TABLE person; --`, "`; DROP TABLE person; --",
		`1; DELETE FROM person`, `1) OR (1=1`, `')) OR 1=1 --`, `/*`, `*/`, `/* comment */ name`, `-- comment`, `#`,
		`name; SELECT pg_sleep(10)`, `name); SELECT SLEEP(10); --`, `' UNION SELECT * FROM person --`,
		`$1`, `$2::text`, `?`, `??`, `:name`, `@p1`, `%s`, `%v`, `{{.}}`, `\x00`, "\x00", "a\x00b", "\x00'; DROP TABLE person; --",
		"ｎａｍｅ", "nаme" /* Cyrillic а */, "ńame", "name\u200b", "\u202eeman", "name\u00a0", "ＤＲＯＰ ＴＡＢＬＥ", "\ufeffname",
		"name\n", "name\r\nDROP", "\t", " ", "", "NULL", "null", "true", "0x41", "1e309", "-0", "😀'😀", "ä'ö'ü",
		strings.Repeat("'", 1000), strings.Repeat("A", 65536), strings.Repeat("x'; ", 4096),
		"name\" = \"name", "name` = `name", "name = name", "name IS NULL OR 1", "LOWER(name)", "person.name", "*",
	}
	out := append([]string(nil), base...)
	for _, b := range base[:30] {
		out = append(out, "Robert"+b, b+"name", "name"+b)
	}
	return out
}

func TestInjectionCorpusIsLarge(t *testing.T) {
	assert.GreaterOrEqual(t, len(injectionPayloads()), 100)
	t.Logf("%d payloads", len(injectionPayloads()))
}

// pgText reports whether PostgreSQL can store s in a text column (no NUL,
// valid UTF-8); bytes columns take anything.
func pgText(s string) bool { return !strings.ContainsRune(s, 0) && strings.ToValidUTF8(s, "") == s }

// Payload stores hostile values in unsized text and bytes columns.
type Payload struct {
	record.Base[Payload]
	ID   int64   `db:"id,pk,autoincrement"`
	Seq  int     `db:"seq,unique"`
	Body string  `db:"body"`
	Note *string `db:"note"`
	Raw  []byte  `db:"raw"`
}

func TestInjectionValuesRoundTripAsData(t *testing.T) {
	payloads := injectionPayloads()
	dbtest.Each(t, dbtest.Options{Models: []any{Payload{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for i, v := range payloads {
			text := v
			if db.Dialect == "postgres" && !pgText(v) {
				text = fmt.Sprintf("no NUL or invalid UTF-8 in PostgreSQL text %d", i)
			}
			p, err := record.New[Payload](map[string]any{"seq": i, "body": text, "raw": []byte(v), "note": text})
			require.NoError(t, err)
			require.NoError(t, p.Save(ctx), "payload %d", i)

			got, err := record.FindOne[Payload](ctx, builder.Eq{"seq": i}, builder.Eq{"body": text}, builder.Eq{"note": text})
			require.NoError(t, err, "payload %d", i)
			assert.Equal(t, text, got.Body)
			assert.Equal(t, db.Blob([]byte(v)), got.Raw)
			n, err := record.Query[Payload](ctx).Where(builder.Or{builder.Eq{"body": text}, builder.NotEq{"body": text + "x"}}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, i+1, n)
			// As a LIKE pattern a payload is still data: it may match or be
			// refused as a pattern, but it never runs as SQL.
			_, _ = record.Query[Payload](ctx).Where(builder.Like{"body": text}).Count()

			saved, err := record.Save[Payload](ctx, map[string]any{"id": p.ID, "note": text + "!"})
			require.NoError(t, err)
			assert.Equal(t, text, saved.Body)
		}
		total, err := record.Query[Payload](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, len(payloads), total, "every payload was stored as one row and nothing else happened")
		for _, v := range payloads[:20] {
			n, err := record.Destroy[Payload](ctx, map[string]any{"id": v})
			assert.ErrorIs(t, err, record.ErrInvalidValue, "a payload as a key value is a conversion error")
			assert.Zero(t, n)
		}
	})
}

// The statements that are not prepared (a bulk INSERT, an IN list, Raw)
// carry the values too; on MySQL the driver escapes them into the text.
// They still round-trip as data.
func TestInjectionValuesRoundTripUnprepared(t *testing.T) {
	payloads := injectionPayloads()
	dbtest.Each(t, dbtest.Options{Models: []any{Payload{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		texts := make([]string, len(payloads))
		rows := make([]map[string]any, len(payloads))
		for i, v := range payloads {
			texts[i] = v
			if db.Dialect == "postgres" && !pgText(v) {
				texts[i] = fmt.Sprintf("no NUL or invalid UTF-8 in PostgreSQL text %d", i)
			}
			rows[i] = map[string]any{"seq": i, "body": texts[i], "raw": []byte(v), "note": texts[i]}
		}
		n, err := record.BulkInsert[Payload](ctx, rows)
		require.NoError(t, err)
		require.EqualValues(t, len(payloads), n)

		got, err := record.Query[Payload](ctx).Where(builder.Eq{"body": texts}).OrderBy("seq").All()
		require.NoError(t, err)
		require.Len(t, got, len(payloads))
		for i, p := range got {
			assert.Equal(t, texts[i], p.Body, "payload %d", i)
			assert.Equal(t, db.Blob([]byte(payloads[i])), p.Raw, "payload %d", i)
		}
		q := "SELECT * FROM " + db.Client.Dialect().Quote("payload") + " WHERE body = ? AND raw = ?"
		if db.Dialect == "postgres" {
			q = strings.Replace(strings.Replace(q, "?", "$1", 1), "?", "$2", 1)
		}
		for i, v := range payloads {
			one, err := record.Raw[Payload](ctx, q, texts[i], []byte(v))
			require.NoError(t, err, "payload %d", i)
			require.Len(t, one, 1, "payload %d", i)
			assert.Equal(t, i, one[0].Seq)
		}
	})
}

func TestInjectionIdentifiersAreRejectedBeforeSQL(t *testing.T) {
	payloads := injectionPayloads()
	dbtest.Each(t, dbtest.Options{Models: models}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		p := &Person{Name: "victim", Email: "v@x"}
		require.NoError(t, p.Save(ctx))
		before := db.Statements()
		m, err := registry.Of[Person]()
		require.NoError(t, err)
		tried := 0
		for _, k := range payloads {
			if _, ok := m.Column(strings.TrimSpace(k)); ok || k == "person.name" {
				continue // a real (or table-qualified) column name, not a payload
			}
			tried++
			_, err := record.New[Person](map[string]any{k: "x"})
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "New key %q", k)
			assert.ErrorIs(t, p.Update(map[string]any{k: "x"}), registry.ErrUnknownColumn, "Update key %q", k)
			assert.ErrorIs(t, p.Set(k, "x"), registry.ErrUnknownColumn, "Set %q", k)
			_, err = record.Save[Person](ctx, map[string]any{"id": p.ID, k: "x"})
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Save key %q", k)
			for _, c := range []builder.Sqlizer{builder.Eq{k: 1}, builder.Gt{k: 1}, builder.Like{k: "%"}, builder.Or{builder.Eq{"name": "victim"}, builder.Eq{k: 1}}} {
				_, err = record.Find[Person](ctx, c)
				assert.ErrorIs(t, err, registry.ErrUnknownColumn, "criterion %q", k)
			}
			_, err = record.Query[Person](ctx).OrderBy(k).All()
			assert.Error(t, err, "OrderBy %q", k)
			_, err = record.Query[Person](ctx).OrderBy("-" + k).All()
			assert.Error(t, err, "OrderBy -%q", k)
			_, err = record.Destroy[Person](ctx, map[string]any{k: p.ID})
			assert.Error(t, err, "Destroy map key %q", k)
			_, err = record.Query[Person](ctx).Select("name", k).All()
			assert.Error(t, err, "Select %q", k)
			_, err = record.Query[Person](ctx).Pluck(k)
			assert.Error(t, err, "Pluck %q", k)
			_, err = record.Pluck[string](record.Query[Person](ctx), k)
			assert.Error(t, err, "Pluck[V] %q", k)
			_, err = record.Query[Person](ctx).IndexBy(k)
			assert.Error(t, err, "IndexBy %q", k)
			_, err = record.Query[Person](ctx).Preload(k).All()
			assert.Error(t, err, "Preload %q", k)
			_, err = record.Query[Person](ctx).Preload("Roles." + k).All()
			assert.Error(t, err, "Preload Roles.%q", k)
			_, err = record.Query[Person](ctx).Join(k).All()
			assert.Error(t, err, "Join %q", k)
			_, err = record.Query[Person](ctx).Where(builder.Eq{"person." + k: 1}).All()
			assert.Error(t, err, "qualified criterion person.%q", k)
		}
		assert.Greater(t, tried, 90)
		assert.Equal(t, before, db.Statements(), "no SQL ran for any hostile identifier")
		got, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "victim", got.Name)
	})
}

// TestInjectionPayloadAsOrderDirection covers the second word of an ORDER
// BY term.
func TestInjectionPayloadAsOrderDirection(t *testing.T) {
	m, err := registry.Of[Person]()
	require.NoError(t, err)
	for _, k := range injectionPayloads() {
		_, err := sqlgen.ParseOrder(m, "name "+k)
		if k == "" || strings.TrimSpace(k) == "" || strings.EqualFold(strings.TrimSpace(k), "asc") || strings.EqualFold(strings.TrimSpace(k), "desc") {
			continue
		}
		assert.Error(t, err, "direction %q", k)
	}
	_, err = sqlgen.ParseOrder(m, "nope")
	assert.ErrorIs(t, err, registry.ErrUnknownColumn)
}

// PayloadStats is a plain row type for Scan and Raw.
type PayloadStats struct {
	Seq  int
	Body string
	N    int64
}

// The query surface of Update, Delete, GroupBy, Having, Distinct, Select
// for Scan and Scan's matching of result columns: a hostile name is refused
// before any SQL, a hostile value is data.
func TestInjectionQuerySurface(t *testing.T) {
	payloads := injectionPayloads()
	dbtest.Each(t, dbtest.Options{Models: []any{Payload{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		victim := &Payload{Seq: -1, Body: "victim"}
		require.NoError(t, victim.Save(ctx))
		m, err := registry.Of[Payload]()
		require.NoError(t, err)
		before := db.Statements()
		tried := 0
		for _, k := range payloads {
			if _, ok := m.Column(strings.TrimSpace(k)); ok || k == "payload.body" {
				continue
			}
			tried++
			q := record.Query[Payload](ctx)
			_, err := q.Update(map[string]any{k: 1})
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Update key %q", k)
			_, err = q.Where(builder.Eq{k: 1}).Update(map[string]any{"body": "x"})
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Update criterion %q", k)
			_, err = q.Where(builder.Eq{k: 1}).Delete()
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Delete criterion %q", k)
			_, err = record.Scan[PayloadStats](q.GroupBy(k))
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "GroupBy %q", k)
			_, err = record.Scan[PayloadStats](q.GroupBy("seq").Having(builder.Gt{k: 1}))
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Having %q", k)
			_, err = record.Scan[PayloadStats](q.Select("seq", k))
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Select %q", k)
			_, err = q.Distinct().Pluck(k)
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Distinct Pluck %q", k)
			_, err = record.Scan[PayloadStats](q.Distinct().OrderBy(k))
			assert.Error(t, err, "Distinct OrderBy %q", k)
			_, err = q.Where(builder.Eq{"id": record.Query[Payload](ctx).Select(k)}).All()
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "subquery Select %q", k)
			_, err = q.Where(builder.NotEq{"id": record.Query[Payload](ctx).Select("id").Where(builder.Eq{k: 1})}).Delete()
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "subquery criterion %q", k)
			_, err = q.Where(builder.Eq{k: record.Query[Payload](ctx).Select("id")}).Count()
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "subquery key %q", k)
			_, err = record.Purge[Payload](ctx, map[string]any{k: 1})
			assert.Error(t, err, "Purge map key %q", k)
			_, err = q.WithDeleted().Where(builder.Eq{k: 1}).Purge()
			assert.ErrorIs(t, err, registry.ErrUnknownColumn, "Purge criterion %q", k)
		}
		assert.Greater(t, tried, 90)
		assert.Equal(t, before, db.Statements(), "no SQL ran for any hostile identifier")

		// Scan's and Raw's matching of result columns: a result column
		// named by a payload (a quoted alias the database accepted) matches
		// no field and is refused before any row is read.
		d := db.Client.Dialect()
		refused := 0
		for _, k := range payloads {
			if !pgText(k) || strings.TrimSpace(k) == "" || len(k) > 60 || strings.EqualFold(k, "seq") || strings.EqualFold(k, "body") || k == "N" || k == "n" {
				continue
			}
			_, err := record.Scan[PayloadStats](payloadQuery(ctx).Select("seq", builder.Expr("COUNT(*) AS "+d.Quote(k))).GroupBy("seq"))
			if assert.Error(t, err, "alias %q", k) && errors.Is(err, registry.ErrUnknownColumn) {
				refused++
			}
			_, err = record.Raw[PayloadStats](ctx, "SELECT 1 AS "+d.Quote(k))
			assert.Error(t, err, "Raw alias %q", k)
		}
		assert.Greater(t, refused, 50, "payload result columns reached the matching")

		// Values in Update maps and Having are bound: data, whatever they hold.
		for i, v := range payloads {
			text := v
			if db.Dialect == "postgres" && !pgText(v) {
				text = fmt.Sprintf("no NUL or invalid UTF-8 in PostgreSQL text %d", i)
			}
			n, err := record.Query[Payload](ctx).Where(builder.Eq{"id": victim.ID}).Update(map[string]any{"body": text, "raw": []byte(v)})
			require.NoError(t, err, "payload %d", i)
			require.EqualValues(t, 1, n)
			got, err := record.Get[Payload](ctx, victim.ID)
			require.NoError(t, err)
			require.Equal(t, text, got.Body, "payload %d", i)
			require.Equal(t, db.Blob([]byte(v)), got.Raw, "payload %d", i)
			rows, err := record.Scan[PayloadStats](record.Query[Payload](ctx).Select("body", builder.Expr("COUNT(*) AS n")).
				GroupBy("body").Having(builder.Expr("MAX(body) = ?", text)))
			require.NoError(t, err, "payload %d", i)
			require.Len(t, rows, 1, "payload %d", i)
			assert.Equal(t, text, rows[0].Body)
			sub := record.Query[Payload](ctx).Select("id").Where(builder.Eq{"body": text})
			in, err := record.Query[Payload](ctx).Where(builder.Eq{"id": sub}, builder.NotEq{"body": text + "x"}).All()
			require.NoError(t, err, "payload %d", i)
			require.Len(t, in, 1, "payload %d in a subquery", i)
			n, err = record.Query[Payload](ctx).Where(builder.Eq{"body": text + "x"}).Delete()
			require.NoError(t, err)
			require.Zero(t, n)
		}
		total, err := record.Query[Payload](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, total, "nothing but the one row was ever written")
	})
}

func payloadQuery(ctx context.Context) *record.QuerySet[Payload] { return record.Query[Payload](ctx) }
