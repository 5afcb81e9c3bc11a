package session

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// openDB opens the connection pool of t. PostgreSQL connections are set to
// read TIMESTAMPTZ values in UTC: pgx would return them in time.Local,
// while the MySQL driver (Loc=UTC) and SQLite (times bound in UTC, see
// bindArgs) return UTC, and a time.Time should look the same whichever
// database it came from.
func openDB(t *target) (*sql.DB, error) {
	if t.driver != "pgx" {
		return sql.Open(t.driver, t.dsn)
	}
	cfg, err := pgx.ParseConfig(t.dsn) // pgx redacts the password in its errors
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})), nil
}
