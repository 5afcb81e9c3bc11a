package record_test

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// FuzzNewFromMap converts fuzzed keys and values of several types into a
// Person: it must never panic; an error must leave nothing half-set; a
// success must store exactly the value given for the kinds that round-trip.
func FuzzNewFromMap(f *testing.F) {
	f.Add("name", "Jenny", int64(3), 1.5, true)
	f.Add("age", "x", int64(math.MaxInt64), math.NaN(), false)
	f.Add("score", "", int64(-1), math.Inf(1), true)
	f.Add("nick", "'; DROP TABLE person; --", int64(0), 0.0, false)
	f.Add("born", "2020-01-02T03:04:05Z", int64(1), -0.0, true)
	f.Add("bogus", "x", int64(1), 1.0, true)
	f.Fuzz(func(t *testing.T, key, s string, n int64, fl float64, b bool) {
		for _, v := range []any{s, n, fl, b, nil, []byte(s), int32(n), uint64(n)} {
			p, err := record.New[Person](map[string]any{key: v, "email": s})
			if err != nil {
				if p != nil {
					t.Fatalf("New returned a record with error %v", err)
				}
				continue
			}
			m, _ := registry.Of[Person]()
			c, ok := m.Column(key)
			if !ok {
				t.Fatalf("New accepted unknown key %q", key)
			}
			if str, isStr := v.(string); isStr && c.Name == "name" && p.Name != str {
				t.Fatalf("name %q stored as %q", str, p.Name)
			}
			if i, isInt := v.(int64); isInt && c.Name == "age" && int64(p.Age) != i {
				t.Fatalf("age %d stored as %d", i, p.Age)
			}
			if p.Email != s {
				t.Fatalf("email %q stored as %q", s, p.Email)
			}
		}
	})
}

// FuzzCriteria resolves criteria with fuzzed column names: unknown names
// are an error; known ones come out quoted; the value never enters the SQL
// text.
func FuzzCriteria(f *testing.F) {
	f.Add("name", "x")
	f.Add("name; DROP TABLE person", "1")
	f.Add(`na"me`, `"; --`)
	f.Add("Name", "?")
	f.Add("id", "$1")
	f.Fuzz(func(t *testing.T, key, value string) {
		m, err := registry.Of[Person]()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []builder.Dialect{builder.SQLite, builder.MySQL, builder.Postgres} {
			for _, c := range []builder.Sqlizer{builder.Eq{key: value}, builder.Or{builder.Like{key: value}}, builder.And{builder.Gt{key: value}}} {
				r, err := sqlgen.Resolve(d, m, c)
				col, known := m.Column(key)
				if !known {
					if err == nil {
						t.Fatalf("%s: Resolve accepted unknown column %q", d.Name(), key)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Resolve(%q): %v", d.Name(), key, err)
				}
				text, args, err := sqlgen.Select(d, m).Where(r).ToSql()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text, d.Quote(col.Name)) {
					t.Fatalf("%s: %q does not name %s quoted", d.Name(), text, col.Name)
				}
				if len(value) > 3 && utf8.ValidString(value) && strings.Contains(text, value) && !strings.Contains(sqlgen.For(d, m).Columns, value) {
					t.Fatalf("%s: value %q leaked into SQL %q", d.Name(), value, text)
				}
				if len(args) != 1 || args[0] != value {
					t.Fatalf("%s: args %v, want [%q]", d.Name(), args, value)
				}
			}
		}
	})
}

// FuzzOrderBy parses fuzzed ORDER BY terms: anything accepted names known
// columns only, and renders as quoted identifiers.
func FuzzOrderBy(f *testing.F) {
	for _, s := range []string{"name", "-name", "name DESC", "name asc", "a, -b", "name; DROP TABLE x", "-", " ", "name  DESC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, term string) {
		m, _ := registry.Of[Person]()
		orders, err := sqlgen.ParseOrder(m, term)
		if err != nil {
			return
		}
		for i, sql := range sqlgen.OrderSQL(builder.Postgres, orders) {
			if !strings.HasPrefix(sql, `"`+orders[i].Column.Name+`"`) {
				t.Fatalf("ParseOrder(%q) rendered %q", term, sql)
			}
		}
	})
}
