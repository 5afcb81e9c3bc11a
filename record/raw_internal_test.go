package record

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/builder"
)

func TestRebind(t *testing.T) {
	cases := []struct{ in, postgres string }{
		{"SELECT * FROM t", "SELECT * FROM t"},
		{"SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"},
		{"SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE a = ?", "SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE a = $1"},
		{"SELECT 1 -- why?\nWHERE a = ?", "SELECT 1 -- why?\nWHERE a = $1"},
		{"SELECT /* ? */ a FROM t WHERE b = ? /* ?", "SELECT /* ? */ a FROM t WHERE b = $1 /* ?"},
		{"SELECT * FROM t WHERE a = $1", "SELECT * FROM t WHERE a = $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
		{"SELECT a - ? FROM t -- ?", "SELECT a - $1 FROM t -- ?"},
		{"SELECT $$a?b$$, ?", "SELECT $$a?b$$, $1"},
		{"SELECT $fn$ it's ? $fn$ WHERE a = ?", "SELECT $fn$ it's ? $fn$ WHERE a = $1"},
		{"SELECT $a$ $$?$$ $a$, ?", "SELECT $a$ $$?$$ $a$, $1"},
		{`SELECT E'it\'s ?', e'\\', ?`, `SELECT E'it\'s ?', e'\\', $1`},
		{`SELECT 'E\', ?`, `SELECT 'E\', $1`},
		{"SELECT doc ?? 'k', doc ??| ?, doc ??& ?", "SELECT doc ? 'k', doc ?| $1, doc ?& $2"},
		{"SELECT /* a /* ? */ ? */ ?", "SELECT /* a /* ? */ ? */ $1"},
		{"SELECT a$b, ?, $1", "SELECT a$b, $1, $1"},
		{"SELECT $$ unterminated ?", "SELECT $$ unterminated ?"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.postgres, rebind(builder.Postgres, tc.in), tc.in)
		assert.Equal(t, tc.in, rebind(builder.SQLite, tc.in), tc.in)
		assert.Equal(t, tc.in, rebind(builder.MySQL, tc.in), tc.in)
	}
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{"SELECT ?", "'?' ?", "-- ?\n?", "/* ? */ ?", `"?" ?`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "$") {
			t.Skip()
		}
		out := rebind(builder.Postgres, s)
		// Only placeholders change: without every ? of the input and the
		// $1, $2, … of the output, both texts are the same.
		if stripNumbered(out) != strings.ReplaceAll(s, "?", "") {
			t.Fatalf("rebind(%q) = %q changed more than placeholders", s, out)
		}
	})
}

// stripNumbered drops $1, $2, … in that order and every ? from s.
func stripNumbered(s string) string {
	s = strings.ReplaceAll(s, "?", "")
	for n := 1; ; n++ {
		ph := "$" + strconv.Itoa(n)
		i := strings.Index(s, ph)
		if i < 0 {
			return s
		}
		s = s[:i] + s[i+len(ph):]
	}
}
