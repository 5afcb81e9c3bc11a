package session

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
)

func TestIsSelect(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT "id" FROM "t"`:        true,
		"select 1":                    true,
		"  \n\tSeLeCt\n1":             true,
		"(SELECT 1) UNION (SELECT 2)": true,
		"SELECT":                      true,
		"SELECT*FROM t":               true,
		"SELECTED":                    false,
		"select_thing()":              false,
		`INSERT INTO "t" VALUES (1) RETURNING "id"`:             false,
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d": false,
		"UPDATE t SET a = 1":                                    false,
		"/* comment */ SELECT 1":                                false,
		"":                                                      false,
		"SEL":                                                   false,
	} {
		assert.Equal(t, want, isSelect(q), "%q", q)
	}
}

func TestServerDown(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for name, tc := range map[string]struct {
		err  error
		down bool
	}{
		"bad conn":           {driver.ErrBadConn, true},
		"refused dial":       {fmt.Errorf("wrapped: %w", refused), true},
		"pg connect error":   {&pgconn.ConnectError{}, true},
		"eof":                {io.EOF, true},
		"mysql invalid conn": {mysql.ErrInvalidConn, true},
		"mysql shutdown":     {&mysql.MySQLError{Number: 1053}, true},
		"pg admin shutdown":  {&pgconn.PgError{Code: "57P01"}, true},
		"mysql syntax":       {&mysql.MySQLError{Number: 1064}, false},
		"pg undefined table": {&pgconn.PgError{Code: "42P01"}, false},
		"mysql read only":    {&mysql.MySQLError{Number: 1290}, false},
		"plain":              {errors.New("boom"), false},
	} {
		assert.Equal(t, tc.down, serverDown(tc.err), name)
	}
}

func TestAsStrings(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want []string
		bad  bool
	}{
		{in: "mysql://a/x, mysql://b/x ,,", want: []string{"mysql://a/x", "mysql://b/x"}},
		{in: "", want: nil},
		{in: []string{"a", "b"}, want: []string{"a", "b"}},
		{in: []any{"a", "b"}, want: []string{"a", "b"}},
		{in: []any{"a", 1}, bad: true},
		{in: 5, bad: true},
	} {
		got, err := asStrings(tc.in)
		if tc.bad {
			assert.Error(t, err, "%v", tc.in)
			continue
		}
		assert.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}
