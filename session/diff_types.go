package session

import (
	"regexp"
	"strconv"
	"strings"
)

// sameType reports whether the type a model asks for and the type the
// database reports are the same type in dialect.
func sameType(dialect, want, live string) bool {
	return canonType(dialect, want) == canonType(dialect, live)
}

var (
	spaces   = regexp.MustCompile(`\s+`)
	intWidth = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|bigint)\(\d+\)`)
)

// splitType splits "numeric(10, 2) unsigned" into its name, its arguments
// without spaces, and what follows them.
func splitType(t string) (base, args, rest string) {
	i := strings.IndexByte(t, '(')
	if i < 0 {
		return t, "", ""
	}
	j := strings.IndexByte(t[i:], ')')
	if j < 0 {
		return t, "", ""
	}
	return strings.TrimSpace(t[:i]), strings.ReplaceAll(t[i+1:i+j], " ", ""), strings.TrimSpace(t[i+j+1:])
}

// canonType spells a type one way per dialect:
//   - SQLite keeps only what decides how a value is stored and read: its
//     type affinity (INTEGER, TEXT, BLOB, REAL, NUMERIC), sizes ignored as
//     SQLite ignores them, except the names the driver reads as time or
//     bool (DATE, DATETIME, TIMESTAMP, BOOLEAN).
//   - MySQL: no integer display width (MariaDB's int(11)), synonyms to one
//     name (INTEGER is int, BOOLEAN is tinyint, JSON is MariaDB's longtext).
//   - PostgreSQL: format_type's names (VARCHAR(255) is character
//     varying(255), TIMESTAMPTZ is timestamp with time zone).
func canonType(dialect, t string) string {
	t = strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(t), " "))
	switch dialect {
	case "sqlite":
		return sqliteAffinity(t)
	case "mysql":
		base, args, rest := splitType(intWidth.ReplaceAllString(t, "$1"))
		switch base {
		case "integer":
			base = "int"
		case "bool", "boolean":
			base, args = "tinyint", ""
		case "double precision", "real":
			base = "double"
		case "json":
			base = "longtext"
		case "numeric", "dec", "fixed":
			base = "decimal"
		case "character varying":
			base = "varchar"
		case "character":
			base = "char"
		}
		if base == "decimal" {
			args = decimalArgs(args, "10")
		}
		return join(base, args, rest)
	case "postgres":
		base, args, rest := splitType(t)
		if alias, ok := pgAliases[base]; ok {
			base = alias
		}
		switch {
		case base == "timestamptz":
			base, rest = "timestamp", "with time zone"
		case (base == "timestamp" || base == "time") && rest == "":
			rest = "without time zone"
		case base == "timestamp with time zone" || base == "timestamp without time zone":
			base, rest, _ = strings.Cut(base, " ")
		}
		if base == "numeric" && args != "" {
			args = decimalArgs(args, "")
		}
		return join(base, args, rest)
	}
	return t
}

var pgAliases = map[string]string{
	"int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
	"int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
	"int2": "smallint", "smallserial": "smallint",
	"bool":   "boolean",
	"float8": "double precision", "float": "double precision",
	"float4":  "real",
	"varchar": "character varying",
	"char":    "character", "bpchar": "character",
	"decimal": "numeric",
}

// decimalArgs writes a precision without scale as precision,0.
func decimalArgs(args, defaultPrecision string) string {
	if args == "" {
		if defaultPrecision == "" {
			return ""
		}
		return defaultPrecision + ",0"
	}
	if !strings.Contains(args, ",") {
		return args + ",0"
	}
	return args
}

func join(base, args, rest string) string {
	s := base
	if args != "" {
		s += "(" + args + ")"
	}
	if rest != "" {
		s += " " + rest
	}
	return s
}

// sqliteAffinity follows "Determination Of Column Affinity" in SQLite's
// documentation, keeping apart the declared types the driver maps to Go
// time and bool values.
func sqliteAffinity(t string) string {
	base, _, _ := strings.Cut(t, "(")
	base = strings.TrimSpace(base)
	switch base {
	case "date", "datetime", "timestamp", "boolean":
		return base
	case "bool":
		return "boolean"
	}
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
		return "text"
	case strings.Contains(t, "blob"), t == "":
		return "blob"
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
		return "real"
	}
	return "numeric"
}

// narrowing reports whether changing a column from type from to type to
// may not keep every value: anything but a known widening (a larger
// integer of the same sign or an unsigned one into a larger signed one, a
// longer string, float to double, a string to unbounded text). A change
// of sign at the same width loses values either way (MySQL refuses them
// in strict mode, mid-plan, and clamps them otherwise).
func narrowing(dialect, from, to string) bool {
	f, t := canonType(dialect, from), canonType(dialect, to)
	if f == t {
		return false
	}
	if dialect == "sqlite" {
		// Affinity changes: integer or real into numeric or text keep values.
		return !(t == "text" || (t == "numeric" && (f == "integer" || f == "real")) || (t == "real" && f == "integer"))
	}
	fr, fOK := intRank[f]
	tr, tOK := intRank[t]
	if fOK && tOK {
		fu, tu := strings.HasSuffix(f, " unsigned"), strings.HasSuffix(t, " unsigned")
		switch {
		case fu == tu:
			return tr < fr
		case tu:
			return true // signed to unsigned: negative values do not fit
		default:
			return tr <= fr // unsigned to signed: only a wider type holds the top half
		}
	}
	if (f == "real" || f == "float") && (t == "double precision" || t == "double") {
		return false
	}
	fs, fSized := stringSize(f)
	ts, tSized := stringSize(t)
	if fSized && tSized {
		return ts < fs
	}
	if fSized && unboundedText[t] {
		return false
	}
	if f == "text" && (t == "mediumtext" || t == "longtext") || f == "mediumtext" && t == "longtext" {
		return false
	}
	return true
}

var intRank = map[string]int{
	"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 5,
	"tinyint unsigned": 1, "smallint unsigned": 2, "mediumint unsigned": 3, "int unsigned": 4, "bigint unsigned": 5,
}

var unboundedText = map[string]bool{"text": true, "mediumtext": true, "longtext": true}

// stringSize reads the length of a varchar / character varying type.
func stringSize(t string) (int, bool) {
	for _, p := range []string{"varchar(", "character varying("} {
		if strings.HasPrefix(t, p) && strings.HasSuffix(t, ")") {
			n, err := strconv.Atoi(t[len(p) : len(t)-1])
			return n, err == nil
		}
	}
	return 0, false
}

var (
	pgCast     = regexp.MustCompile(`::[a-z ]+(\(\d+(,\d+)?\))?(\[\])?$`)
	nowFuncs   = regexp.MustCompile(`^(current_timestamp|now|localtimestamp)(\(\d*\))?$`)
	outerParen = regexp.MustCompile(`^\((.*)\)$`)
)

// canonDefault spells a default expression one way: PostgreSQL's casts
// ('x'::character varying) and parentheses dropped, string literals
// unquoted (MySQL 8 reports them bare), keywords lower case, the current
// time functions one name, true and false as 1 and 0 (what MySQL keeps).
func canonDefault(d string) string {
	d = strings.TrimSpace(d)
	for {
		if m := outerParen.FindStringSubmatch(d); m != nil {
			d = strings.TrimSpace(m[1])
			continue
		}
		if loc := pgCast.FindStringIndex(strings.ToLower(d)); loc != nil && !inQuote(d, loc[0]) {
			d = strings.TrimSpace(d[:loc[0]])
			continue
		}
		break
	}
	if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
		return strings.ReplaceAll(d[1:len(d)-1], "''", "'")
	}
	l := strings.ToLower(d)
	if nowFuncs.MatchString(l) {
		return "current_timestamp"
	}
	switch l {
	case "true":
		return "1"
	case "false":
		return "0"
	}
	return l
}

// inQuote reports whether position i of s is inside a single-quoted
// literal.
func inQuote(s string, i int) bool {
	in := false
	for j := 0; j < i && j < len(s); j++ {
		if s[j] == '\'' {
			in = !in
		}
	}
	return in
}

// SameType reports whether two spellings of a column type are the same type
// in dialect ("sqlite", "mysql" or "postgres"), as Diff compares them:
// SameType("postgres", "VARCHAR(255)", "character varying(255)") is true.
func SameType(dialect, a, b string) bool { return sameType(dialect, a, b) }
