package gen

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGoNamesFromTableAndColumnNames(t *testing.T) {
	cases := map[string]string{
		"user":          "User",
		"user_role":     "UserRole",
		"user_id":       "UserID",
		"ArtistId":      "ArtistID",
		"PlaylistTrack": "PlaylistTrack",
		"Url":           "URL",
		"HTTPServer":    "HTTPServer",
		"api_key":       "APIKey",
		"2fa":           "X2fa",
		"id":            "ID",
		"ID":            "ID",
	}
	for in, want := range cases {
		assert.Equal(t, want, goName(in), in)
	}
}

func TestGoTypesPerDialect(t *testing.T) {
	cases := []struct {
		dialect, typ, goType string
		size                 int
	}{
		{"postgres", "character varying(120)", "string", 120},
		{"postgres", "integer", "int32", 0},
		{"postgres", "bigint", "int64", 0},
		{"postgres", "timestamp with time zone", "time.Time", 0},
		{"postgres", "jsonb", "json.RawMessage", 0},
		{"postgres", "numeric(10,2)", "string", 0},
		{"postgres", "uuid", "string", 0},
		{"mysql", "tinyint(1)", "bool", 0},
		{"mysql", "int(10) unsigned", "uint32", 0},
		{"mysql", "varbinary(16)", "[]byte", 16},
		{"mysql", "datetime(6)", "time.Time", 0},
		{"sqlite", "NVARCHAR(120)", "string", 120},
		{"sqlite", "INTEGER", "int64", 0},
		{"sqlite", "DATETIME", "time.Time", 0},
		{"sqlite", "BOOLEAN", "bool", 0},
		{"sqlite", "", "[]byte", 0},
	}
	for _, tc := range cases {
		g := goType(tc.dialect, tc.typ)
		assert.Equal(t, tc.goType, g.goType, "%s %s", tc.dialect, tc.typ)
		assert.Equal(t, tc.size, g.size, "%s %s", tc.dialect, tc.typ)
	}
}
