package session

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type sizeStatus string

func TestStatementBytesBoundIsNeverBelowTheExactCount(t *testing.T) {
	s := "it's \"quoted\"\n\\"
	var nilStr *string
	cases := []struct {
		name  string
		arg   any
		exact int64
	}{
		{"nil", nil, 4},
		{"plain string", "abc", 5},
		{"string with escapes", s, int64(len(s)) + 5 + 2},
		{"bytes with escapes", []byte("a'b\x00"), 4 + 2 + 10},
		{"time", time.Now(), 28},
		{"int64", int64(7), 24},
		{"bool", true, 24},
		{"named string", sizeStatus("o'k"), 4 + 2},
		{"pointer to string", &s, int64(len(s)) + 5 + 2},
		{"nil pointer", nilStr, 4},
		{"valuer", sql.NullString{String: "x'", Valid: true}, 3 + 2},
		{"null valuer", sql.NullString{}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.exact, argBytes(c.arg, true))
			assert.GreaterOrEqual(t, argBytes(c.arg, false), argBytes(c.arg, true))
		})
	}
	query := "INSERT INTO t VALUES (?)"
	args := make([]any, len(cases))
	want := int64(len(query)) + 1
	for i, c := range cases {
		args[i] = c.arg
		want += c.exact
	}
	assert.Equal(t, want, statementBytes(query, args, true))
	assert.GreaterOrEqual(t, statementBytes(query, args, false), want)
}
