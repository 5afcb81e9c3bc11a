package session

import (
	"regexp"
	"strconv"
	"strings"
)

// sameType reports whether the type a model asks for and the type the
// database reports are the same type in sd.
func sameType(sd *schemaDialect, want, live string) bool {
	return canonType(sd, want) == canonType(sd, live)
}

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

// canonType spells a type one way for sd (see schemaDialect.canonType),
// after lower-casing it and collapsing its spaces; without sd, only that.
func canonType(sd *schemaDialect, t string) string {
	t = strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(t), " "))
	if sd == nil {
		return t
	}
	return sd.canonType(t)
}

var spaces = regexp.MustCompile(`\s+`)

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

// narrowing reports whether changing a column from type from to type to
// may not keep every value: anything but a known widening (a larger
// integer of the same sign or an unsigned one into a larger signed one, a
// longer string, float to double, a string to unbounded text). A change
// of sign at the same width loses values either way (MySQL refuses them
// in strict mode, mid-plan, and clamps them otherwise).
func narrowing(sd *schemaDialect, from, to string) bool {
	f, t := canonType(sd, from), canonType(sd, to)
	if f == t {
		return false
	}
	if sd != nil && sd.narrowing != nil {
		return sd.narrowing(f, t)
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
// in dialect (a registered URI scheme: "sqlite", "mysql", "postgres", ...),
// as Diff compares them: SameType("postgres", "VARCHAR(255)",
// "character varying(255)") is true. For a dialect not registered, it
// compares the spellings without case and extra spaces.
func SameType(dialect, a, b string) bool {
	var sd *schemaDialect
	if db, ok := Lookup(dialect); ok {
		sd = db.schema()
	}
	return sameType(sd, a, b)
}
