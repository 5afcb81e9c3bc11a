package migrate

import (
	"strings"

	"github.com/sqlservice/sqlservice/builder"
)

// Split cuts SQL text into statements at semicolons outside quotes
// ('...', "...", `...`; a quote doubled inside is one character),
// comments (-- and /* */) and PostgreSQL dollar quotes ($$...$$,
// $tag$...$tag$). Text between a line "-- sqlservice:begin" and a line
// "-- sqlservice:end" is one statement whatever it holds. Statements are
// trimmed; empty ones and comment-only ones are dropped. A backslash is an
// ordinary character, as in standard SQL (PostgreSQL, SQLite); SplitFor
// reads MySQL's backslash escapes.
func Split(sql string) []string { return split(sql, false) }

// SplitFor is Split as the dialect named dialect reads SQL (see
// builder.DialectFor): on MySQL a backslash inside a string literal escapes
// the next character ('it\'s').
func SplitFor(dialect, sql string) []string {
	d, err := builder.DialectFor(dialect)
	return split(sql, err == nil && d.BackslashEscapes())
}

func split(sql string, backslash bool) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s != "" && !commentOnly(s) {
			out = append(out, s)
		}
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case strings.HasPrefix(sql[i:], "-- sqlservice:begin"):
			flush()
			i += lineEnd(sql[i:])
			end := strings.Index(sql[i:], "-- sqlservice:end")
			if end < 0 {
				end = len(sql) - i
			}
			cur.WriteString(sql[i : i+end])
			flush()
			i += end
			if i < len(sql) {
				i += lineEnd(sql[i:])
			}
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			n := lineEnd(sql[i:])
			cur.WriteString(sql[i : i+n])
			i += n
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			n := strings.Index(sql[i+2:], "*/")
			if n < 0 {
				n = len(sql) - i - 2
			} else {
				n += 2
			}
			cur.WriteString(sql[i : i+2+n])
			i += 2 + n
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					break
				}
				if backslash && sql[j] == '\\' && c == '\'' && j+1 < len(sql) {
					j += 2
					continue
				}
				j++
			}
			end := min(j+1, len(sql))
			cur.WriteString(sql[i:end])
			i = end
		case c == '$':
			if tag, ok := dollarTag(sql[i:]); ok {
				n := strings.Index(sql[i+len(tag):], tag)
				end := len(sql)
				if n >= 0 {
					end = i + len(tag) + n + len(tag)
				}
				cur.WriteString(sql[i:end])
				i = end
				continue
			}
			cur.WriteByte(c)
			i++
		case c == ';':
			flush()
			i++
		default:
			cur.WriteByte(c)
			i++
		}
	}
	flush()
	return out
}

// lineEnd is the length of s up to and including its first newline.
func lineEnd(s string) int {
	if n := strings.IndexByte(s, '\n'); n >= 0 {
		return n + 1
	}
	return len(s)
}

// dollarTag reads a PostgreSQL dollar-quote opener ($$ or $name$) at the
// start of s; $1 (a parameter) is not one.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}

func commentOnly(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}
