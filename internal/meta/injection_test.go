package meta_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
)

// hostile is a corpus of identifier payloads for tags and table names.
var hostile = []string{
	`'`, `"`, "`", `\`, `x'--`, `x" OR "1"="1`, "x`; DROP TABLE t; --", `x; DROP TABLE t`, `x/*`, `x--`,
	`x)`, `(x`, `$1`, `?`, `:x`, "x\x00", "ｎａｍｅ", "nаme", "name\u200b", "\u202eeman", "na me", "name\n",
	"person.name", "*", "", strings.Repeat("a", 64), "1abc", "ä", "x-y", "x+y",
}

func TestHostileTagsAreRefused(t *testing.T) {
	tried := 0
	for _, h := range hostile {
		for _, tag := range []string{h, h + ",pk", "id,fk=" + h, "id,fk=t." + h, "id,fk=" + h + ".id", "id,type=" + h, "id,size=" + h} {
			tried++
			got, err := meta.ParseTag(tag)
			if err != nil {
				continue
			}
			// What is accepted must be harmless: plain identifiers, types
			// of letters, digits and parentheses.
			if got.Name != "" {
				assert.True(t, meta.ValidIdentifier(got.Name), "tag %q gave name %q", tag, got.Name)
			}
			if got.FK != nil {
				assert.True(t, meta.ValidIdentifier(got.FK.Table) && meta.ValidIdentifier(got.FK.Column), "tag %q", tag)
			}
			assert.NotContains(t, got.SQLType, ";", "tag %q", tag)
			assert.NotContains(t, got.SQLType, "'", "tag %q", tag)
		}
		for _, d := range []string{"'x'; DROP TABLE t", "1 -- x", "1 /* x */", "'a\x00'"} {
			_, err := meta.ParseTag("n,default=" + d)
			assert.Error(t, err, "default %q", d)
		}
	}
	assert.Greater(t, tried, 200)
	for _, h := range hostile {
		if h == "1abc" || h == strings.Repeat("a", 64) || strings.ContainsAny(h, "'\"`;\\ ()*$?:.\x00\n+-/") || !isASCII(h) || h == "" {
			assert.False(t, meta.ValidIdentifier(h), "%q", h)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type hostileTableName struct {
	ID int64 `db:"id,pk"`
}

func (hostileTableName) TableName() string { return `t"; DROP TABLE x; --` }

func TestHostileTableNameIsRefused(t *testing.T) {
	err := meta.Register(hostileTableName{})
	require.Error(t, err)
	assert.ErrorIs(t, err, meta.ErrBadTag)
	assert.Contains(t, err.Error(), fmt.Sprintf("%q", `t"; DROP TABLE x; --`))
}
