package builder

import (
	"strconv"
	"strings"
)

// dollar is PostgreSQL's placeholder format: each ? outside literals and
// comments becomes $1, $2, … in order. It leaves alone what PostgreSQL
// reads as text: '…' strings (and U&'…', B'…', X'…'), E'…' strings with
// backslash escapes, "…" identifiers, $$…$$ and $tag$…$tag$ strings, --
// comments and nested /* … */ comments. ?? writes a ?, which is how
// PostgreSQL's jsonb operators ?, ?| and ?& are written in SQL with
// placeholders ("doc ?? 'key'").
type dollar struct{}

// ReplacePlaceholders implements squirrel's PlaceholderFormat.
func (dollar) ReplacePlaceholders(sql string) (string, error) { return rebindDollar(sql), nil }

// Numbered reports whether d numbers its placeholders ($1, $2, …) rather
// than writing ?.
func Numbered(d Dialect) bool {
	_, ok := d.Placeholders().(dollar)
	return ok
}

// Rebind rewrites the ? placeholders of hand-written SQL for d: unchanged
// for dialects that take ?, numbered for PostgreSQL (see builder.Expr for
// the literals it leaves alone and ??).
func Rebind(d Dialect, sql string) string {
	if !Numbered(d) {
		return sql
	}
	return rebindDollar(sql)
}

func rebindDollar(sql string) string {
	if !strings.Contains(sql, "?") {
		return sql
	}
	b := make([]byte, 0, len(sql)+16)
	n := 0
	for i := 0; i < len(sql); {
		end := skipLiteral(sql, i)
		if end > i {
			b = append(b, sql[i:end]...)
			i = end
			continue
		}
		switch {
		case sql[i] == '?' && i+1 < len(sql) && sql[i+1] == '?':
			b = append(b, '?')
			i += 2
		case sql[i] == '?':
			n++
			b = strconv.AppendInt(append(b, '$'), int64(n), 10)
			i++
		default:
			b = append(b, sql[i])
			i++
		}
	}
	return string(b)
}

// skipLiteral returns the end of the string, quoted identifier or comment
// that starts at sql[i], or i when none starts there. An unterminated one
// runs to the end of sql (the server reports it).
func skipLiteral(sql string, i int) int {
	ch := sql[i]
	switch {
	case ch == '\'' || ch == '"':
		return quoted(sql, i, ch, false)
	case (ch == 'E' || ch == 'e') && i+1 < len(sql) && sql[i+1] == '\'' && (i == 0 || !identChar(sql[i-1])):
		return quoted(sql, i+1, '\'', true)
	case ch == '-' && strings.HasPrefix(sql[i:], "--"):
		if j := strings.IndexByte(sql[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(sql)
	case ch == '/' && strings.HasPrefix(sql[i:], "/*"):
		depth := 0
		for j := i; j < len(sql)-1; j++ {
			switch {
			case sql[j] == '/' && sql[j+1] == '*':
				depth++
				j++
			case sql[j] == '*' && sql[j+1] == '/':
				depth--
				j++
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(sql)
	case ch == '$' && (i == 0 || !identChar(sql[i-1])):
		// $tag$ … $tag$, the tag empty or an identifier; $1 is a parameter.
		j := i + 1
		if j < len(sql) && (sql[j] >= '0' && sql[j] <= '9') {
			return i
		}
		for j < len(sql) && identChar(sql[j]) && sql[j] != '$' {
			j++
		}
		if j >= len(sql) || sql[j] != '$' {
			return i
		}
		tag := sql[i : j+1]
		if k := strings.Index(sql[j+1:], tag); k >= 0 {
			return j + 1 + k + len(tag)
		}
		return len(sql)
	}
	return i
}

// quoted returns the end of the quoted text that opens at sql[i] with
// quote; a doubled quote is one character, and with backslash so is a
// backslash and the character after it.
func quoted(sql string, i int, quote byte, backslash bool) int {
	for j := i + 1; j < len(sql); j++ {
		switch sql[j] {
		case '\\':
			if backslash {
				j++
			}
		case quote:
			if j+1 < len(sql) && sql[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// identChar reports whether c may continue an unquoted identifier (or
// keyword) in PostgreSQL; bytes of multi-byte UTF-8 characters count.
func identChar(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
