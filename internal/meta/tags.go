package meta

import (
	"fmt"
	"strconv"
	"strings"
)

// tag is the parsed form of a `db:"..."` struct tag.
type tag struct {
	skip          bool
	name          string
	pk            bool
	pkOrder       int // > 0 for composite keys declared as pk=N
	autoIncrement bool
	notNull       bool
	unique        bool
	index         bool
	size          int
	dflt          string
	hasDefault    bool
	sqlType       string
	fk            *ForeignKey
	version       bool
	autoCreate    bool
	autoUpdate    bool
	softDelete    bool
}

// parseTag parses `db:"column,opt,opt=value,..."`. Options are split on
// commas that are not inside quotes or parentheses, so that
// `type=DECIMAL(10,2)` and `default='a,b'` work.
func parseTag(s string) (tag, error) {
	var t tag
	if s == "-" {
		t.skip = true
		return t, nil
	}
	parts, err := splitTag(s)
	if err != nil {
		return t, err
	}
	t.name = strings.TrimSpace(parts[0])
	if t.name != "" && !ValidIdentifier(t.name) {
		return t, fmt.Errorf("column name %q is not a valid identifier (letters, digits and _, not starting with a digit, at most 63 characters)", t.name)
	}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		key, val, hasVal := strings.Cut(p, "=")
		key = strings.TrimSpace(key)
		if seen[key] {
			return t, fmt.Errorf("option %q given twice", key)
		}
		seen[key] = true
		needVal := func() error {
			if !hasVal || strings.TrimSpace(val) == "" {
				return fmt.Errorf("option %q needs a value (%s=...)", key, key)
			}
			return nil
		}
		noVal := func() error {
			if hasVal {
				return fmt.Errorf("option %q takes no value", key)
			}
			return nil
		}
		switch key {
		case "pk":
			t.pk = true
			if hasVal {
				n, err := strconv.Atoi(strings.TrimSpace(val))
				if err != nil || n < 1 {
					return t, fmt.Errorf("pk=%s: the position of a composite key column must be a positive integer", val)
				}
				t.pkOrder = n
			}
		case "autoincrement":
			if err := noVal(); err != nil {
				return t, err
			}
			t.autoIncrement = true
		case "notnull":
			if err := noVal(); err != nil {
				return t, err
			}
			t.notNull = true
		case "version":
			if err := noVal(); err != nil {
				return t, err
			}
			t.version = true
		case "autocreate", "autoupdate", "softdelete":
			if err := noVal(); err != nil {
				return t, err
			}
			switch key {
			case "autocreate":
				t.autoCreate = true
			case "autoupdate":
				t.autoUpdate = true
			default:
				t.softDelete = true
			}
		case "unique":
			if err := noVal(); err != nil {
				return t, err
			}
			t.unique = true
		case "index":
			if err := noVal(); err != nil {
				return t, err
			}
			t.index = true
		case "size":
			if err := needVal(); err != nil {
				return t, err
			}
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n <= 0 || n > 1<<24 {
				return t, fmt.Errorf("size=%s: must be a positive integer", val)
			}
			t.size = n
		case "default":
			if err := needVal(); err != nil {
				return t, err
			}
			d := strings.TrimSpace(val)
			if err := checkDefault(d); err != nil {
				return t, err
			}
			t.dflt, t.hasDefault = d, true
		case "type":
			if err := needVal(); err != nil {
				return t, err
			}
			typ := strings.TrimSpace(val)
			if err := checkSQLType(typ); err != nil {
				return t, err
			}
			t.sqlType = typ
		case "fk":
			if err := needVal(); err != nil {
				return t, err
			}
			table, col, ok := strings.Cut(strings.TrimSpace(val), ".")
			if !ok || !ValidIdentifier(table) || !ValidIdentifier(col) {
				return t, fmt.Errorf("fk=%s: want fk=table.column with valid identifiers", val)
			}
			t.fk = &ForeignKey{Table: table, Column: col}
		default:
			return t, fmt.Errorf("unknown option %q (want pk, autoincrement, version, autocreate, autoupdate, softdelete, notnull, unique, index, size=N, default=SQL, type=T, fk=table.column)", key)
		}
	}
	return t, nil
}

func splitTag(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced parentheses in tag %q", s)
			}
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 || depth != 0 {
		return nil, fmt.Errorf("unbalanced quotes or parentheses in tag %q", s)
	}
	return append(parts, s[start:]), nil
}

// checkDefault accepts SQL literals and simple expressions for a DEFAULT
// clause; it refuses what could end the statement or start a comment. The
// value comes from source code, not from users, but a typo must not turn
// into a broken CREATE TABLE.
func checkDefault(d string) error {
	if strings.ContainsAny(d, ";\x00") || strings.Contains(d, "--") || strings.Contains(d, "/*") {
		return fmt.Errorf("default=%s: a default may not contain ';', '--', '/*' or NUL", d)
	}
	return nil
}

func checkSQLType(t string) error {
	for i := 0; i < len(t); i++ {
		c := t[i]
		ok := c == ' ' || c == '(' || c == ')' || c == ',' || c == '_' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return fmt.Errorf("type=%s: only letters, digits, spaces, '_', ',' and parentheses are allowed", t)
		}
	}
	return nil
}

// ValidIdentifier reports whether s may be used as a table or column name:
// ASCII letters, digits and underscores, not starting with a digit, 1 to 63
// characters. Identifiers are quoted in SQL as well; this check keeps names
// portable across SQLite, MySQL and PostgreSQL.
func ValidIdentifier(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// SnakeCase converts a Go name to snake_case: "UserRole" → "user_role",
// "HTTPServer" → "http_server", "UserID" → "user_id".
func SnakeCase(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				prev := s[i-1]
				nextLower := i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
				if (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') || ((prev >= 'A' && prev <= 'Z') && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteByte(c + 'a' - 'A')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
