package meta_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

// Every model type in this file is used by one test only and has a table
// name of its own: the registry is global and refuses two types that share
// a table.

// ---------------------------------------------------------------------------
// Tag parsing

func TestParseTag(t *testing.T) {
	tests := []struct {
		name string
		tag  string
		want meta.ParsedTag
	}{
		{"a bare name names the column", "email", meta.ParsedTag{Name: "email"}},
		{"an empty tag leaves the name to the field", "", meta.ParsedTag{}},
		{"a dash skips the field", "-", meta.ParsedTag{Skip: true}},
		{"pk marks a primary key", "id,pk", meta.ParsedTag{Name: "id", PK: true}},
		{"pk=N marks a composite key position", "tenant,pk=2", meta.ParsedTag{Name: "tenant", PK: true, PKOrder: 2}},
		{"autoincrement is a flag", "id,pk,autoincrement", meta.ParsedTag{Name: "id", PK: true, AutoIncrement: true}},
		{"notnull is a flag", "n,notnull", meta.ParsedTag{Name: "n", NotNull: true}},
		{"unique is a flag", "n,unique", meta.ParsedTag{Name: "n", Unique: true}},
		{"index is a flag", "n,index", meta.ParsedTag{Name: "n", Index: true}},
		{"size=N is a positive integer", "n,size=100", meta.ParsedTag{Name: "n", Size: 100}},
		{"default=SQL is kept verbatim", "n,default=CURRENT_TIMESTAMP", meta.ParsedTag{Name: "n", Default: "CURRENT_TIMESTAMP", HasDefault: true}},
		{"default=0 counts as a default", "n,default=0", meta.ParsedTag{Name: "n", Default: "0", HasDefault: true}},
		{"commas inside single quotes stay in the default", "n,default='a,b',unique", meta.ParsedTag{Name: "n", Default: "'a,b'", HasDefault: true, Unique: true}},
		{"commas inside double quotes stay in the default", `n,default="a,b"`, meta.ParsedTag{Name: "n", Default: `"a,b"`, HasDefault: true}},
		{"commas inside parentheses stay in the default", "n,default=coalesce(1,2),index", meta.ParsedTag{Name: "n", Default: "coalesce(1,2)", HasDefault: true, Index: true}},
		{"a doubled quote inside a quoted default is kept", "n,default='it''s, ok'", meta.ParsedTag{Name: "n", Default: "'it''s, ok'", HasDefault: true}},
		{"type=DECIMAL(10,2) keeps its comma", "price,type=DECIMAL(10,2),notnull", meta.ParsedTag{Name: "price", SQLType: "DECIMAL(10,2)", NotNull: true}},
		{"type may contain spaces", "n,type=DOUBLE PRECISION", meta.ParsedTag{Name: "n", SQLType: "DOUBLE PRECISION"}},
		{"fk=table.column names the target", "user_id,fk=user.id", meta.ParsedTag{Name: "user_id", FK: &meta.ForeignKey{Table: "user", Column: "id"}}},
		{"an empty name with options leaves the name to the field", ",pk", meta.ParsedTag{PK: true}},
		{"spaces around names, options and values are trimmed", " n , size = 10 , notnull ", meta.ParsedTag{Name: "n", Size: 10, NotNull: true}},
		{"empty options are ignored", "n,,unique,", meta.ParsedTag{Name: "n", Unique: true}},
		{"every option combines", "code,pk=1,notnull,unique,index,size=8,default='x',type=CHAR(8),fk=other.code",
			meta.ParsedTag{Name: "code", PK: true, PKOrder: 1, NotNull: true, Unique: true, Index: true, Size: 8,
				Default: "'x'", HasDefault: true, SQLType: "CHAR(8)", FK: &meta.ForeignKey{Table: "other", Column: "code"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := meta.ParseTag(tc.tag)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseTagRejects(t *testing.T) {
	tests := []struct {
		name    string
		tag     string
		message string
	}{
		{"an unknown option", "n,bogus", `unknown option "bogus"`},
		{"a non-numeric size", "n,size=abc", "size=abc"},
		{"a zero size", "n,size=0", "size=0"},
		{"a negative size", "n,size=-1", "size=-1"},
		{"size without a value", "n,size", `option "size" needs a value`},
		{"size with an empty value", "n,size=", `option "size" needs a value`},
		{"fk without a dot", "n,fk=user", "fk=user"},
		{"fk with an empty table", "n,fk=.id", "fk=.id"},
		{"fk with an invalid column", "n,fk=user.1id", "fk=user.1id"},
		{"a column name with a dash", "full-name", `column name "full-name" is not a valid identifier`},
		{"a column name starting with a digit", "1st", `column name "1st" is not a valid identifier`},
		{"a column name with a space", "a b", `column name "a b" is not a valid identifier`},
		{"a column name with quotes", "a'b'", `column name "a'b'" is not a valid identifier`},
		{"a column name with an unclosed quote", `a"b`, "unbalanced"},
		{"a column name of 64 characters", strings.Repeat("a", 64), "is not a valid identifier"},
		{"a default containing a semicolon", "n,default=1; DROP TABLE x", "may not contain ';'"},
		{"a default containing a semicolon inside quotes", "n,default='a;b'", "may not contain ';'"},
		{"a default containing a line comment", "n,default=1 -- x", "may not contain"},
		{"a default containing a block comment", "n,default=1 /* x */", "may not contain"},
		{"default without a value", "n,default", `option "default" needs a value`},
		{"a type with a semicolon", "n,type=INT;", "type=INT;"},
		{"a type with a quote", "n,type=VARCHAR('x')", "type=VARCHAR('x')"},
		{"pk=0", "n,pk=0", "pk=0"},
		{"a non-numeric pk position", "n,pk=first", "pk=first"},
		{"autoincrement with a value", "n,autoincrement=1", `option "autoincrement" takes no value`},
		{"notnull with a value", "n,notnull=yes", `option "notnull" takes no value`},
		{"unique with a value", "n,unique=1", `option "unique" takes no value`},
		{"index with a value", "n,index=ix", `option "index" takes no value`},
		{"an option given twice", "n,unique,unique", `option "unique" given twice`},
		{"an unclosed parenthesis", "n,type=DECIMAL(10,2", "unbalanced"},
		{"a stray closing parenthesis", "n,type=INT)", "unbalanced"},
		{"an unclosed quote", "n,default='x", "unbalanced"},
	}
	for _, tc := range tests {
		t.Run("it rejects "+tc.name, func(t *testing.T) {
			_, err := meta.ParseTag(tc.tag)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{
		"", "-", "id,pk,autoincrement", "n,default='a,b'", "price,type=DECIMAL(10,2)",
		"user_id,fk=user.id", "n,size=10,unique,index,notnull", "a,pk=2", "n,default=(1", "x,,", "n,default='it''s'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := meta.ParseTag(s)
		if err != nil {
			return
		}
		if got.Name != "" && !meta.ValidIdentifier(got.Name) {
			t.Errorf("ParseTag(%q) accepted column name %q", s, got.Name)
		}
		if strings.ContainsAny(got.Default, ";\x00") || strings.Contains(got.Default, "--") {
			t.Errorf("ParseTag(%q) accepted default %q", s, got.Default)
		}
		if got.FK != nil && (!meta.ValidIdentifier(got.FK.Table) || !meta.ValidIdentifier(got.FK.Column)) {
			t.Errorf("ParseTag(%q) accepted foreign key %+v", s, *got.FK)
		}
		if got.PKOrder < 0 || got.Size < 0 {
			t.Errorf("ParseTag(%q) gave a negative number: %+v", s, got)
		}
	})
}

func TestValidIdentifier(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"id", true}, {"user_id", true}, {"_x", true}, {"A1", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"1a", false}, {"a-b", false}, {"a b", false}, {`a"b`, false}, {"a`b", false},
		{"é", false}, {strings.Repeat("a", 64), false},
	}
	for _, tc := range tests {
		t.Run("it judges "+strings.ReplaceAll(tc.in, " ", "·"), func(t *testing.T) {
			assert.Equal(t, tc.want, meta.ValidIdentifier(tc.in))
		})
	}
}

func TestSnakeCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"User", "user"},
		{"UserRole", "user_role"},
		{"HTTPServer", "http_server"},
		{"UserID", "user_id"},
		{"ID", "id"},
		{"id", "id"},
		{"CreatedAt", "created_at"},
		{"APIKeyID", "api_key_id"},
		{"Address2", "address2"},
		{"Int64Value", "int64_value"},
		{"already_snake", "already_snake"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in+" becomes "+tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, meta.SnakeCase(tc.in))
		})
	}
}

// ---------------------------------------------------------------------------
// Tags applied to a model

type regTagged struct {
	ID        int64     `db:"id,pk,autoincrement"`
	Email     string    `db:"email,size=100,unique,notnull"`
	Slug      string    `db:"slug,index"`
	Status    string    `db:"status,default='a,b'"`
	Price     string    `db:"price,type=DECIMAL(10,2)"`
	OwnerID   int64     `db:"owner_id,fk=reg_owner.id"`
	Skipped   string    `db:"-"`
	CreatedAt time.Time // untagged: created_at
	Nick      *string   `db:",size=20"`
	hidden    string
	secret    string `db:"-"`
}

func TestRegisterAppliesTags(t *testing.T) {
	_ = regTagged{hidden: "", secret: ""}
	m, err := meta.Of[regTagged]()
	require.NoError(t, err)

	t.Run("it derives the table from the type name", func(t *testing.T) {
		assert.Equal(t, "reg_tagged", m.Table)
		assert.Equal(t, "regTagged", m.Name)
		assert.Equal(t, reflect.TypeFor[regTagged](), m.Type)
	})
	t.Run("it maps tagged and untagged exported fields in field order", func(t *testing.T) {
		assert.Equal(t, []string{"id", "email", "slug", "status", "price", "owner_id", "created_at", "nick"}, m.ColumnNames())
		for i, c := range m.Columns {
			assert.Equal(t, i, meta.Pos(c), c.Name)
		}
	})
	t.Run("it skips db:\"-\" and unexported fields", func(t *testing.T) {
		for _, name := range []string{"Skipped", "skipped", "hidden", "secret"} {
			_, ok := m.Column(name)
			assert.False(t, ok, name)
		}
	})
	t.Run("it finds columns by database name and by Go field name", func(t *testing.T) {
		byName, ok := m.Column("owner_id")
		require.True(t, ok)
		byField, ok := m.Column("OwnerID")
		require.True(t, ok)
		assert.Same(t, byName, byField)
		assert.Equal(t, "OwnerID", byName.Field)
	})
	t.Run("it records the primary key and the autoincrement column", func(t *testing.T) {
		id, _ := m.Column("id")
		require.Len(t, m.PK, 1)
		assert.Same(t, id, m.PK[0])
		assert.Same(t, id, m.AutoIncrement)
		assert.True(t, id.PK)
		assert.True(t, id.AutoIncrement)
		assert.True(t, id.NotNull)
		assert.Equal(t, meta.KindInt, id.Kind)
		assert.Equal(t, 64, id.Bits)
	})
	t.Run("it applies every option to its column", func(t *testing.T) {
		email, _ := m.Column("email")
		assert.Equal(t, 100, email.Size)
		assert.True(t, email.Unique)
		assert.True(t, email.NotNull)
		assert.False(t, email.PK)

		slug, _ := m.Column("slug")
		assert.True(t, slug.Indexed)
		assert.False(t, slug.Unique)

		status, _ := m.Column("status")
		assert.True(t, status.HasDefault)
		assert.Equal(t, "'a,b'", status.Default)

		price, _ := m.Column("price")
		assert.Equal(t, "DECIMAL(10,2)", price.SQLType)

		owner, _ := m.Column("owner_id")
		assert.Equal(t, &meta.ForeignKey{Table: "reg_owner", Column: "id"}, owner.FK)

		created, _ := m.Column("created_at")
		assert.Equal(t, meta.KindTime, created.Kind)
		assert.Equal(t, "CreatedAt", created.Field)

		nick, _ := m.Column("Nick")
		assert.Equal(t, "nick", nick.Name, "an empty tag name falls back to the field name")
		assert.Equal(t, 20, nick.Size)
	})
	t.Run("it records field offsets and indexes", func(t *testing.T) {
		var v regTagged
		for _, c := range m.Columns {
			f, ok := m.Type.FieldByName(c.Field)
			require.True(t, ok)
			assert.Equal(t, f.Offset, meta.Offset(c), c.Name)
			assert.Equal(t, f.Index, meta.FieldIndex(c), c.Name)
			assert.Equal(t, f.Type, c.Type, c.Name)
		}
		price, _ := m.Column("price")
		assert.Equal(t, unsafe.Offsetof(v.Price), meta.Offset(price))
	})
	t.Run("MustColumns resolves names in order", func(t *testing.T) {
		cols, err := m.MustColumns("email", "ID", "created_at")
		require.NoError(t, err)
		require.Len(t, cols, 3)
		assert.Equal(t, "email", cols[0].Name)
		assert.Equal(t, "id", cols[1].Name)
		assert.Equal(t, "created_at", cols[2].Name)
	})
	t.Run("MustColumns reports an unknown column", func(t *testing.T) {
		_, err := m.MustColumns("email", "nope")
		require.ErrorIs(t, err, meta.ErrUnknownColumn)
		var uc *meta.UnknownColumnError
		require.ErrorAs(t, err, &uc)
		assert.Equal(t, "regTagged", uc.Model)
		assert.Equal(t, "nope", uc.Column)
		assert.EqualError(t, err, `registry: model regTagged has no column "nope"`)
	})
}

type regComposite struct {
	Code   string `db:"code,pk=2,size=8"`
	Tenant int64  `db:"tenant,pk=1"`
	Note   string `db:"note"`
}

func TestCompositeKeyIsOrderedByPosition(t *testing.T) {
	m, err := meta.Of[regComposite]()
	require.NoError(t, err)
	require.Len(t, m.PK, 2)
	assert.Equal(t, "tenant", m.PK[0].Name)
	assert.Equal(t, "code", m.PK[1].Name)
	assert.Equal(t, 1, meta.PKOrder(m.PK[0]))
	assert.Equal(t, 2, meta.PKOrder(m.PK[1]))
	assert.Nil(t, m.AutoIncrement)
	assert.Equal(t, []string{"code", "tenant", "note"}, m.ColumnNames(), "columns stay in field order")
}

// RegStamps is embedded without a tag: its fields become the model's.
type RegStamps struct {
	CreatedAt time.Time
	UpdatedAt time.Time `db:"updated"`
}

type regEmbedsPlain struct {
	ID int64 `db:"id,pk"`
	RegStamps
	Note string
}

func TestEmbeddedPlainStructFieldsAreColumns(t *testing.T) {
	m, err := meta.Of[regEmbedsPlain]()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "created_at", "updated", "note"}, m.ColumnNames())

	v := regEmbedsPlain{ID: 1, RegStamps: RegStamps{UpdatedAt: time.Unix(100, 0)}, Note: "n"}
	up, _ := m.Column("updated")
	assert.Equal(t, unsafe.Offsetof(v.RegStamps)+unsafe.Offsetof(v.RegStamps.UpdatedAt), meta.Offset(up))
	assert.Equal(t, []int{1, 1}, meta.FieldIndex(up))
	assert.Same(t, &v.UpdatedAt, meta.Addr(up, unsafe.Pointer(&v)))
	note, _ := m.Column("note")
	assert.Equal(t, "n", meta.Value(note, unsafe.Pointer(&v)))
}

// ---------------------------------------------------------------------------
// Table names

type HTTPServerConfig struct {
	ID int64 `db:"id,pk"`
}

type regCustomTable struct {
	ID int64 `db:"id,pk"`
}

func (regCustomTable) TableName() string { return "custom_things" }

type regPtrCustomTable struct {
	ID int64 `db:"id,pk"`
}

func (*regPtrCustomTable) TableName() string { return "ptr_custom_things" }

func TestTableName(t *testing.T) {
	tests := []struct {
		name  string
		model any
		table string
	}{
		{"it snake-cases the type name", HTTPServerConfig{}, "http_server_config"},
		{"it takes TableName() on the value", regCustomTable{}, "custom_things"},
		{"it takes TableName() on the pointer", regPtrCustomTable{}, "ptr_custom_things"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, meta.Register(tc.model))
			m, err := meta.Lookup(reflect.TypeOf(tc.model))
			require.NoError(t, err)
			assert.Equal(t, tc.table, m.Table)
			got, ok := meta.ByTable(tc.table)
			require.True(t, ok)
			assert.Same(t, m, got)
		})
	}
}

// ---------------------------------------------------------------------------
// Types, nullability and kinds

type regCustom struct{ s string }

func (c regCustom) Value() (driver.Value, error) { return c.s, nil }
func (c *regCustom) Scan(src any) error {
	s, _ := src.(string)
	c.s = s
	return nil
}

type regScanOnly struct{ n int64 }

func (c *regScanOnly) Scan(src any) error {
	n, _ := src.(int64)
	c.n = n
	return nil
}

type regKinds struct {
	ID    int64 `db:"id,pk"`
	Ptr   *string
	NStr  sql.NullString
	NInt  sql.NullInt64
	NI32  sql.NullInt32
	NI16  sql.NullInt16
	NByte sql.NullByte
	NF    sql.NullFloat64
	NB    sql.NullBool
	NTime sql.NullTime
	NGen  sql.Null[int64]
	NGenS sql.Null[string]
	Bytes []byte
	Raw   json.RawMessage
	Str   string
	Int   int
	I8    int8
	I16   int16
	I32   int32
	U     uint
	U8    uint8
	U16   uint16
	U32   uint32
	U64   uint64
	F32   float32
	F64   float64
	B     bool
	When  time.Time
	PWhen *time.Time
	PInt  *int32
	Cust  regCustom
	PCust *regCustom
	Scan  regScanOnly
	PNN   *string `db:"pnn,notnull"`
}

func TestColumnKindsAndNullability(t *testing.T) {
	m, err := meta.Of[regKinds]()
	require.NoError(t, err)
	tests := []struct {
		field    string
		kind     meta.Kind
		bits     int
		nullable bool
	}{
		{"ID", meta.KindInt, 64, false},
		{"Ptr", meta.KindString, 0, true},
		{"NStr", meta.KindString, 0, true},
		{"NInt", meta.KindInt, 64, true},
		{"NI32", meta.KindInt, 32, true},
		{"NI16", meta.KindInt, 16, true},
		{"NByte", meta.KindUint, 8, true},
		{"NF", meta.KindFloat, 64, true},
		{"NB", meta.KindBool, 0, true},
		{"NTime", meta.KindTime, 0, true},
		{"NGen", meta.KindInt, 64, true},
		{"NGenS", meta.KindString, 0, true},
		{"Bytes", meta.KindBytes, 0, true},
		{"Raw", meta.KindJSON, 0, true},
		{"Str", meta.KindString, 0, false},
		{"Int", meta.KindInt, 64, false},
		{"I8", meta.KindInt, 8, false},
		{"I16", meta.KindInt, 16, false},
		{"I32", meta.KindInt, 32, false},
		{"U", meta.KindUint, 64, false},
		{"U8", meta.KindUint, 8, false},
		{"U16", meta.KindUint, 16, false},
		{"U32", meta.KindUint, 32, false},
		{"U64", meta.KindUint, 64, false},
		{"F32", meta.KindFloat, 32, false},
		{"F64", meta.KindFloat, 64, false},
		{"B", meta.KindBool, 0, false},
		{"When", meta.KindTime, 0, false},
		{"PWhen", meta.KindTime, 0, true},
		{"PInt", meta.KindInt, 32, true},
		{"Cust", meta.KindCustom, 0, true},
		{"PCust", meta.KindCustom, 0, true},
		{"Scan", meta.KindCustom, 0, true},
	}
	for _, tc := range tests {
		verdict := "not nullable"
		if tc.nullable {
			verdict = "nullable"
		}
		t.Run(tc.field+" is a "+tc.kind.String()+" and "+verdict, func(t *testing.T) {
			c, ok := m.Column(tc.field)
			require.True(t, ok)
			assert.Equal(t, tc.kind, c.Kind)
			assert.Equal(t, tc.bits, c.Bits)
			assert.Equal(t, tc.nullable, c.Nullable)
			assert.Equal(t, !tc.nullable, c.NotNull, "NOT NULL follows the Go type unless tagged")
		})
	}
	t.Run("a nullable field tagged notnull is NOT NULL", func(t *testing.T) {
		c, ok := m.Column("pnn")
		require.True(t, ok)
		assert.True(t, c.Nullable)
		assert.True(t, c.NotNull)
	})
	t.Run("untagged fields take snake_case names", func(t *testing.T) {
		for field, name := range map[string]string{"NStr": "n_str", "PWhen": "p_when", "U64": "u64", "NGenS": "n_gen_s"} {
			c, ok := m.Column(field)
			require.True(t, ok, field)
			assert.Equal(t, name, c.Name)
		}
	})
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "bool", meta.KindBool.String())
	assert.Equal(t, "custom", meta.KindCustom.String())
	assert.Equal(t, "Kind(200)", meta.Kind(200).String())
}

// ---------------------------------------------------------------------------
// Column accessors through unsafe pointers

type regAccess struct {
	ID    int64 `db:"id,pk"`
	N     int
	I32   int32
	U16   uint16
	Name  string
	OK    bool
	F     float64
	At    time.Time
	Data  []byte
	Nick  *string
	AtP   *time.Time
	NS    sql.NullString
	NG    sql.Null[int64]
	Raw   json.RawMessage
	Cust  regCustom
	Float float32
}

func TestColumnAccessors(t *testing.T) {
	m, err := meta.Of[regAccess]()
	require.NoError(t, err)

	nick, other := "nick", "other"
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	a := regAccess{
		ID: 1, N: 2, I32: 3, U16: 4, Name: "a", OK: true, F: 1.5, At: at, Data: []byte("x"),
		Nick: &nick, AtP: &at, NS: sql.NullString{String: "s", Valid: true}, NG: sql.Null[int64]{V: 9, Valid: true},
		Raw: json.RawMessage(`{"a":1}`), Cust: regCustom{s: "c"}, Float: 2.5,
	}
	later := at.Add(time.Second)
	b := regAccess{
		ID: 10, N: 20, I32: 30, U16: 40, Name: "b", OK: false, F: 2.5, At: later, Data: []byte("y"),
		Nick: &other, AtP: &later, NS: sql.NullString{}, NG: sql.Null[int64]{V: 9},
		Raw: json.RawMessage(`{"a":2}`), Cust: regCustom{s: "d"}, Float: 3.5,
	}
	pa, pb := unsafe.Pointer(&a), unsafe.Pointer(&b)

	tests := []struct {
		field string
		addr  any // &a.Field
		value any // a.Field
	}{
		{"ID", &a.ID, a.ID},
		{"N", &a.N, a.N},
		{"I32", &a.I32, a.I32},
		{"U16", &a.U16, a.U16},
		{"Name", &a.Name, a.Name},
		{"OK", &a.OK, a.OK},
		{"F", &a.F, a.F},
		{"At", &a.At, a.At},
		{"Data", &a.Data, a.Data},
		{"Nick", &a.Nick, a.Nick},
		{"AtP", &a.AtP, a.AtP},
		{"NS", &a.NS, a.NS},
		{"NG", &a.NG, a.NG},
		{"Raw", &a.Raw, a.Raw},
		{"Cust", &a.Cust, a.Cust},
		{"Float", &a.Float, a.Float},
	}
	for _, tc := range tests {
		c, ok := m.Column(tc.field)
		require.True(t, ok, tc.field)
		t.Run("Addr of "+tc.field+" points at the field", func(t *testing.T) {
			got := meta.Addr(c, pa)
			assert.IsType(t, tc.addr, got)
			assert.Equal(t, reflect.ValueOf(tc.addr).Pointer(), reflect.ValueOf(got).Pointer())
		})
		t.Run("Value of "+tc.field+" is the field's value", func(t *testing.T) {
			assert.Equal(t, tc.value, meta.Value(c, pa))
		})
		t.Run("Reflect of "+tc.field+" is settable", func(t *testing.T) {
			rv := meta.Reflect(c, pa)
			assert.True(t, rv.CanSet())
			assert.Equal(t, tc.value, rv.Interface())
		})
		t.Run("Equal of "+tc.field+" tells equal from different", func(t *testing.T) {
			same := a
			assert.True(t, meta.Equal(c, pa, unsafe.Pointer(&same)))
			assert.False(t, meta.Equal(c, pa, pb))
		})
		t.Run("IsZero of "+tc.field+" tells zero from set", func(t *testing.T) {
			var zero regAccess
			assert.True(t, meta.IsZero(c, unsafe.Pointer(&zero)))
			assert.False(t, meta.IsZero(c, pa))
		})
	}

	t.Run("writing through Addr changes the struct", func(t *testing.T) {
		v := regAccess{}
		p := unsafe.Pointer(&v)
		idc, _ := m.Column("id")
		namec, _ := m.Column("name")
		atc, _ := m.Column("at")
		nickc, _ := m.Column("nick")
		*meta.Addr(idc, p).(*int64) = 42
		*meta.Addr(namec, p).(*string) = "written"
		*meta.Addr(atc, p).(*time.Time) = time.Unix(5, 0)
		s := "n"
		*meta.Addr(nickc, p).(**string) = &s
		assert.Equal(t, int64(42), v.ID)
		assert.Equal(t, "written", v.Name)
		assert.True(t, v.At.Equal(time.Unix(5, 0)))
		assert.Same(t, &s, v.Nick)
	})
	t.Run("Equal compares time instants, not locations", func(t *testing.T) {
		x := regAccess{At: at}
		y := regAccess{At: at.In(time.FixedZone("X", 3600))}
		c, _ := m.Column("at")
		assert.True(t, meta.Equal(c, unsafe.Pointer(&x), unsafe.Pointer(&y)))
	})
	t.Run("Equal compares what time pointers point to", func(t *testing.T) {
		c, _ := m.Column("at_p")
		moved := at.In(time.FixedZone("X", 3600))
		x, y := regAccess{AtP: &at}, regAccess{AtP: &moved}
		assert.True(t, meta.Equal(c, unsafe.Pointer(&x), unsafe.Pointer(&y)))
		var nilA, nilB regAccess
		assert.True(t, meta.Equal(c, unsafe.Pointer(&nilA), unsafe.Pointer(&nilB)))
		assert.False(t, meta.Equal(c, unsafe.Pointer(&x), unsafe.Pointer(&nilA)))
		assert.False(t, meta.Equal(c, unsafe.Pointer(&nilA), unsafe.Pointer(&x)))
	})
	t.Run("Equal compares what string pointers point to", func(t *testing.T) {
		c, _ := m.Column("nick")
		s1, s2 := "same", "same"
		x, y := regAccess{Nick: &s1}, regAccess{Nick: &s2}
		assert.True(t, meta.Equal(c, unsafe.Pointer(&x), unsafe.Pointer(&y)))
	})
}

// ---------------------------------------------------------------------------
// record.Base

type regBaseFirst struct {
	record.Base[regBaseFirst]
	ID int64 `db:"id,pk,autoincrement"`
}

type regBaseMiddle struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
	record.Base[regBaseMiddle]
	Tail bool `db:"tail"`
}

type regNoBase struct {
	ID int64 `db:"id,pk"`
}

func TestBaseOffset(t *testing.T) {
	t.Run("a Base embedded first sits at offset 0", func(t *testing.T) {
		m, err := meta.Of[regBaseFirst]()
		require.NoError(t, err)
		assert.True(t, m.HasBase)
		assert.Zero(t, meta.BaseOffset(m))
		assert.Equal(t, []string{"id"}, m.ColumnNames(), "Base is not a column")
		assert.True(t, meta.IsModelType(m.Type))
	})
	t.Run("a Base embedded after other fields has their offset", func(t *testing.T) {
		m, err := meta.Of[regBaseMiddle]()
		require.NoError(t, err)
		var v regBaseMiddle
		assert.True(t, m.HasBase)
		assert.Equal(t, unsafe.Offsetof(v.Base), meta.BaseOffset(m))
		assert.NotZero(t, meta.BaseOffset(m))
		assert.Equal(t, unsafe.Pointer(&v.Base), unsafe.Add(unsafe.Pointer(&v), meta.BaseOffset(m)))
		assert.Equal(t, []string{"id", "name", "tail"}, m.ColumnNames())
	})
	t.Run("Base methods reach the enclosing struct through the offset", func(t *testing.T) {
		v := &regBaseMiddle{ID: 7, Name: "before"}
		require.NoError(t, v.Set("name", "after"))
		require.NoError(t, v.Set("tail", true))
		assert.Equal(t, "after", v.Name)
		assert.True(t, v.Tail)
		assert.Equal(t, int64(7), v.ID)
		assert.Equal(t, map[string]any{"id": int64(7), "name": "after", "tail": true}, v.ToMap())
	})
	t.Run("a struct without Base is a model without one", func(t *testing.T) {
		m, err := meta.Of[regNoBase]()
		require.NoError(t, err)
		assert.False(t, m.HasBase)
		assert.False(t, meta.IsModelType(m.Type))
	})
}

// ---------------------------------------------------------------------------
// Relations

type RelChild struct {
	record.Base[RelChild]
	ID          int64 `db:"id,pk,autoincrement"`
	RelParentID int64 `db:"rel_parent_id"`
}

type RelParent struct {
	record.Base[RelParent]
	ID      int64 `db:"id,pk,autoincrement"`
	One     RelChild
	OnePtr  *RelChild
	Many    []RelChild `rel:"fk=rel_parent_id"`
	ManyPtr []*RelChild
	Name    string `db:"name"`
}

type RelNode struct {
	record.Base[RelNode]
	ID       int64 `db:"id,pk,autoincrement"`
	ParentID *int64
	Parent   *RelNode
	Children []*RelNode `rel:"fk=parent_id"`
}

func TestRelations(t *testing.T) {
	require.NoError(t, meta.Register(&RelParent{}))
	m, err := meta.Of[RelParent]()
	require.NoError(t, err)
	child := reflect.TypeFor[RelChild]()
	var v RelParent

	t.Run("relation fields are not columns", func(t *testing.T) {
		assert.Equal(t, []string{"id", "name"}, m.ColumnNames())
	})
	tests := []struct {
		field   string
		many    bool
		pointer bool
		offset  uintptr
		tag     string
	}{
		{"One", false, false, unsafe.Offsetof(v.One), ""},
		{"OnePtr", false, true, unsafe.Offsetof(v.OnePtr), ""},
		{"Many", true, false, unsafe.Offsetof(v.Many), "fk=rel_parent_id"},
		{"ManyPtr", true, true, unsafe.Offsetof(v.ManyPtr), ""},
	}
	require.Len(t, m.Relations, len(tests))
	for i, tc := range tests {
		t.Run("a field of type "+m.Relations[i].Type.String()+" is a relation", func(t *testing.T) {
			r := m.Relations[i]
			assert.Equal(t, tc.field, r.Field)
			assert.Equal(t, child, r.Target)
			assert.Equal(t, tc.many, r.Many)
			assert.Equal(t, tc.pointer, r.Pointer)
			assert.Equal(t, tc.offset, meta.RelationOffset(r))
			assert.Equal(t, tc.tag, r.Tag)
			f, _ := m.Type.FieldByName(tc.field)
			assert.Equal(t, f.Type, r.Type)
			assert.Equal(t, f.Index, meta.RelationIndex(r))
		})
	}
	t.Run("relations are found by field name and by its snake_case", func(t *testing.T) {
		r, ok := m.Relation("ManyPtr")
		require.True(t, ok)
		r2, ok := m.Relation("many_ptr")
		require.True(t, ok)
		assert.Same(t, r, r2)
		_, ok = m.Relation("nope")
		assert.False(t, ok)
	})
	t.Run("registering a model registers its related models", func(t *testing.T) {
		cm, ok := meta.ByTable("rel_child")
		require.True(t, ok)
		assert.Equal(t, child, cm.Type)
		again, err := meta.Lookup(child)
		require.NoError(t, err)
		assert.Same(t, cm, again)
	})
	t.Run("a model may relate to itself", func(t *testing.T) {
		nm, err := meta.Of[RelNode]()
		require.NoError(t, err)
		require.Len(t, nm.Relations, 2)
		assert.Equal(t, nm.Type, nm.Relations[0].Target)
		assert.False(t, nm.Relations[0].Many)
		assert.True(t, nm.Relations[1].Many)
		assert.Equal(t, []string{"id", "parent_id"}, nm.ColumnNames())
	})
}

// ---------------------------------------------------------------------------
// Events

type EvUser struct {
	record.Base[EvUser]
	ID    int64    `db:"id,pk,autoincrement"`
	Phone string   `db:"phone,size=10"`
	Roles []EvRole `rel:"fk=ev_user_id"`
	Boss  *EvRole
}

type EvRole struct {
	record.Base[EvRole]
	ID       int64  `db:"id,pk,autoincrement"`
	EvUserID int64  `db:"ev_user_id"`
	Role     string `db:"role"`
}

func (EvUser) Events(on *events.On[EvUser]) {
	on.Set("Phone", func(u *EvUser, value, old any) (any, error) {
		return strings.ReplaceAll(value.(string), "-", ""), nil
	})
	on.Append("roles", func(u *EvUser, item any) (any, error) {
		r := item.(*EvRole)
		r.Role = strings.ToUpper(r.Role)
		return r, nil
	})
	on.Remove("Roles", func(u *EvUser, item any) error { return nil })
	on.BeforeInsert(func(ctx context.Context, u *EvUser) error {
		if u.Phone == "" {
			return errors.New("phone required")
		}
		return nil
	})
}

func TestEventsMethod(t *testing.T) {
	m, err := meta.Of[EvUser]()
	require.NoError(t, err)
	h := meta.Handlers(m)
	require.NotNil(t, h)

	t.Run("a Set handler keyed by field name is stored under the column name", func(t *testing.T) {
		assert.True(t, h.HasSet("phone"))
		assert.False(t, h.HasSet("Phone"))
		v, err := h.FireSet(&EvUser{}, "phone", "555-867-5309", "")
		require.NoError(t, err)
		assert.Equal(t, "5558675309", v)
	})
	t.Run("Append and Remove handlers are stored under the relation field", func(t *testing.T) {
		assert.True(t, h.Has(events.KindAppend))
		assert.True(t, h.Has(events.KindRemove))
		item, err := h.FireAppend(&EvUser{}, "Roles", &EvRole{Role: "admin"})
		require.NoError(t, err)
		assert.Equal(t, "ADMIN", item.(*EvRole).Role)
	})
	t.Run("mapper handlers are registered by kind", func(t *testing.T) {
		assert.True(t, h.Has(events.KindBeforeInsert))
		assert.False(t, h.Has(events.KindAfterInsert))
		err := h.Fire(context.Background(), events.KindBeforeInsert, &EvUser{})
		assert.EqualError(t, err, "events: BeforeInsert handler: phone required")
		assert.NoError(t, h.Fire(context.Background(), events.KindBeforeInsert, &EvUser{Phone: "1"}))
	})
	t.Run("a model without handlers has empty handlers", func(t *testing.T) {
		rm, err := meta.Of[EvRole]()
		require.NoError(t, err)
		assert.True(t, meta.Handlers(rm).Empty())
	})
}

type HookModel struct {
	ID    int64    `db:"id,pk"`
	Calls []string `db:"-"`
	Fail  bool     `db:"-"`
}

func (HookModel) Events(on *events.On[HookModel]) {
	on.BeforeSave(func(ctx context.Context, h *HookModel) error {
		h.Calls = append(h.Calls, "on.BeforeSave")
		return nil
	})
}

func (h *HookModel) BeforeSave(ctx context.Context) error {
	h.Calls = append(h.Calls, "BeforeSave")
	if h.Fail {
		return errors.New("refused")
	}
	return nil
}

func (h *HookModel) AfterDelete(ctx context.Context) error {
	h.Calls = append(h.Calls, "AfterDelete")
	return nil
}

func (h *HookModel) AfterLoad(ctx context.Context) error {
	h.Calls = append(h.Calls, "AfterLoad")
	return nil
}

func TestInterfaceHooks(t *testing.T) {
	m, err := meta.Of[HookModel]()
	require.NoError(t, err)
	h := meta.Handlers(m)
	ctx := context.Background()

	t.Run("hook methods on the pointer are picked up by kind", func(t *testing.T) {
		assert.True(t, h.Has(events.KindBeforeSave))
		assert.True(t, h.Has(events.KindAfterDelete))
		assert.True(t, h.Has(events.KindLoad), "AfterLoad is a Load hook")
		assert.False(t, h.Has(events.KindBeforeInsert))
		assert.False(t, h.Has(events.KindAfterSave))
	})
	t.Run("hook methods run after the handlers registered through On", func(t *testing.T) {
		v := &HookModel{}
		require.NoError(t, h.Fire(ctx, events.KindBeforeSave, v))
		assert.Equal(t, []string{"on.BeforeSave", "BeforeSave"}, v.Calls)
	})
	t.Run("an error from a hook method is returned wrapped", func(t *testing.T) {
		v := &HookModel{Fail: true}
		err := h.Fire(ctx, events.KindBeforeSave, v)
		var he *events.HandlerError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, events.KindBeforeSave, he.Kind)
		assert.EqualError(t, he.Err, "refused")
	})
}

// ---------------------------------------------------------------------------
// Bad models

type badUnknownOption struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name,bogus"`
}

type badSize struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name,size=abc"`
}

type badFK struct {
	ID      int64 `db:"id,pk"`
	OwnerID int64 `db:"owner_id,fk=owner"`
}

type badIdentifier struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"full-name"`
}

type badDefault struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name,default='x'; DROP TABLE y"`
}

type badTwoPK struct {
	A int64 `db:"a,pk"`
	B int64 `db:"b,pk"`
}

type badMixedPK struct {
	A int64 `db:"a,pk"`
	B int64 `db:"b,pk=1"`
}

type badPKGap struct {
	A int64 `db:"a,pk=1"`
	B int64 `db:"b,pk=3"`
}

type badPKRepeat struct {
	A int64 `db:"a,pk=1"`
	B int64 `db:"b,pk=1"`
}

type badVersionString struct {
	ID      int64  `db:"id,pk"`
	Version string `db:"version,version"`
}

type badVersionPK struct {
	ID int64 `db:"id,pk,version"`
}

type badAutoCreateString struct {
	ID      int64  `db:"id,pk"`
	Created string `db:"created,autocreate"`
}

type badSoftDeleteValue struct {
	ID      int64     `db:"id,pk"`
	Deleted time.Time `db:"deleted,softdelete"`
}

type badTwoSoftDeletes struct {
	ID int64      `db:"id,pk"`
	A  *time.Time `db:"a,softdelete"`
	B  *time.Time `db:"b,softdelete"`
}

type badTwoVersions struct {
	ID int64 `db:"id,pk"`
	A  int64 `db:"a,version"`
	B  int64 `db:"b,version"`
}

type badAutoString struct {
	Code string `db:"code,pk,autoincrement"`
}

type badAutoNonPK struct {
	ID  int64 `db:"id,pk"`
	Seq int64 `db:"seq,autoincrement"`
}

type badAutoPointer struct {
	ID *int64 `db:"id,pk,autoincrement"`
}

type badAutoComposite struct {
	A int64 `db:"a,pk=1,autoincrement"`
	B int64 `db:"b,pk=2"`
}

type badMap struct {
	ID    int64 `db:"id,pk"`
	Attrs map[string]string
}

type badChan struct {
	ID int64 `db:"id,pk"`
	C  chan int
}

type badPoint struct{ X, Y int }

type badStruct struct {
	ID  int64 `db:"id,pk"`
	Loc badPoint
}

type badSlice struct {
	ID   int64 `db:"id,pk"`
	Tags []string
}

type badInterface struct {
	ID  int64 `db:"id,pk"`
	Any any
}

type badPtrPtr struct {
	ID  int64 `db:"id,pk"`
	Ptr **string
}

type badValuerOnly struct{ s string }

func (v badValuerOnly) Value() (driver.Value, error) { return v.s, nil }

type badValuer struct {
	ID int64 `db:"id,pk"`
	V  badValuerOnly
}

type badNoPK struct {
	Name string `db:"name"`
}

type badUnexportedTagged struct {
	ID   int64  `db:"id,pk"`
	name string `db:"name"`
}

type badRelationTagged struct {
	ID    int64    `db:"id,pk"`
	Child RelChild `db:"child"`
}

type badDuplicateColumn struct {
	ID     int64 `db:"id,pk"`
	UserID int64
	UserId int64 // snake-cases to user_id too
}

type badDerivedName struct {
	ID   int64 `db:"id,pk"`
	Ñame string
}

type badTableName struct {
	ID int64 `db:"id,pk"`
}

func (badTableName) TableName() string { return "bad table" }

type badWrongBase struct {
	record.Base[RelChild]
	ID int64 `db:"id,pk"`
}

type badNoColumns struct {
	x int
}

type badSetAttr struct {
	ID int64 `db:"id,pk"`
}

func (badSetAttr) Events(on *events.On[badSetAttr]) {
	on.Set("nope", func(*badSetAttr, any, any) (any, error) { return nil, nil })
}

type badEventsType struct {
	ID int64 `db:"id,pk"`
}

func (badEventsType) Events(on *events.On[badSetAttr]) {}

type badEventsSignature struct {
	ID int64 `db:"id,pk"`
}

func (badEventsSignature) Events(on *events.On[badEventsSignature]) error { return nil }

type BadAppendOnOne struct {
	record.Base[BadAppendOnOne]
	ID    int64 `db:"id,pk"`
	Child *RelChild
}

func (BadAppendOnOne) Events(on *events.On[BadAppendOnOne]) {
	on.Append("Child", func(*BadAppendOnOne, any) (any, error) { return nil, nil })
}

type badRelatedModel struct {
	record.Base[badRelatedModel]
	ID    int64 `db:"id,pk"`
	Other *BadRelTarget
}

type BadRelTarget struct {
	record.Base[BadRelTarget]
	Name string `db:"name"` // no primary key
}

func TestRegisterRejectsBadModels(t *testing.T) {
	tests := []struct {
		name     string
		model    any
		sentinel error
		modelN   string // Go type named in the error
		field    string // Go field named in the error; "" for the whole model
		message  string
	}{
		{"an unknown tag option", badUnknownOption{}, meta.ErrBadTag, "badUnknownOption", "Name", `unknown option "bogus"`},
		{"size=abc", badSize{}, meta.ErrBadTag, "badSize", "Name", "size=abc"},
		{"fk without a dot", badFK{}, meta.ErrBadTag, "badFK", "OwnerID", "fk=owner"},
		{"an invalid column identifier", badIdentifier{}, meta.ErrBadTag, "badIdentifier", "Name", `"full-name" is not a valid identifier`},
		{"a default containing ';'", badDefault{}, meta.ErrBadTag, "badDefault", "Name", "may not contain ';'"},
		{"two plain pk fields", badTwoPK{}, meta.ErrNoPrimaryKey, "badTwoPK", "B", "two primary keys (A and B)"},
		{"pk mixed with pk=N", badMixedPK{}, meta.ErrBadTag, "badMixedPK", "A", "mixes pk with pk=N"},
		{"a gap in pk=N", badPKGap{}, meta.ErrBadTag, "badPKGap", "B", "without gaps or repeats"},
		{"a repeat in pk=N", badPKRepeat{}, meta.ErrBadTag, "badPKRepeat", "B", "without gaps or repeats"},
		{"autoincrement on a string", badAutoString{}, meta.ErrBadTag, "badAutoString", "Code", "autoincrement needs an integer"},
		{"autoincrement on a non-key field", badAutoNonPK{}, meta.ErrBadTag, "badAutoNonPK", "Seq", "autoincrement needs an integer, non-pointer primary key"},
		{"autoincrement on a pointer", badAutoPointer{}, meta.ErrBadTag, "badAutoPointer", "ID", "autoincrement needs an integer, non-pointer"},
		{"autoincrement in a composite key", badAutoComposite{}, meta.ErrBadTag, "badAutoComposite", "A", "single-column primary key"},
		{"a version that is not an integer", badVersionString{}, meta.ErrBadTag, "badVersionString", "Version", "version needs an integer"},
		{"a version in the primary key", badVersionPK{}, meta.ErrBadTag, "badVersionPK", "ID", "not part of the primary key"},
		{"autocreate on a string", badAutoCreateString{}, meta.ErrBadTag, "badAutoCreateString", "Created", "need a time field"},
		{"softdelete on a time that cannot be NULL", badSoftDeleteValue{}, meta.ErrBadTag, "badSoftDeleteValue", "Deleted", "softdelete needs a nullable time field"},
		{"two softdelete columns", badTwoSoftDeletes{}, meta.ErrBadTag, "badTwoSoftDeletes", "B", "a second softdelete column (the first is A)"},
		{"two version columns", badTwoVersions{}, meta.ErrBadTag, "badTwoVersions", "B", "a second version column (the first is A)"},
		{"a map field", badMap{}, meta.ErrUnsupportedType, "badMap", "Attrs", "map[string]string is not supported"},
		{"a chan field", badChan{}, meta.ErrUnsupportedType, "badChan", "C", "chan int is not supported"},
		{"a struct field", badStruct{}, meta.ErrUnsupportedType, "badStruct", "Loc", "badPoint is not supported"},
		{"a slice of strings", badSlice{}, meta.ErrUnsupportedType, "badSlice", "Tags", "[]string is not supported"},
		{"an interface field", badInterface{}, meta.ErrUnsupportedType, "badInterface", "Any", "is not supported"},
		{"a pointer to a pointer", badPtrPtr{}, meta.ErrUnsupportedType, "badPtrPtr", "Ptr", "pointers to pointers"},
		{"a Valuer without a Scanner", badValuer{}, meta.ErrUnsupportedType, "badValuer", "V", "does not implement sql.Scanner"},
		{"no primary key", badNoPK{}, meta.ErrNoPrimaryKey, "badNoPK", "", "no primary key"},
		{"a tagged unexported field", badUnexportedTagged{}, meta.ErrBadTag, "badUnexportedTagged", "name", "unexported fields cannot be mapped"},
		{"a db tag on a relation", badRelationTagged{}, meta.ErrBadTag, "badRelationTagged", "Child", `takes a rel:"..." tag`},
		{"two fields mapping one column", badDuplicateColumn{}, meta.ErrBadTag, "badDuplicateColumn", "UserId", `column "user_id" is already mapped by field UserID`},
		{"a field whose derived name is not an identifier", badDerivedName{}, meta.ErrBadTag, "badDerivedName", "Ñame", "derived column name"},
		{"a TableName that is not an identifier", badTableName{}, meta.ErrBadTag, "badTableName", "", `table name "bad table"`},
		{"embedding record.Base of another type", badWrongBase{}, meta.ErrNotModel, "badWrongBase", "Base", "a model must embed record.Base[badWrongBase]"},
		{"a struct without columns", badNoColumns{x: 1}, meta.ErrNotModel, "badNoColumns", "", "no mapped columns"},
		{"a Set handler for an unknown attribute", badSetAttr{}, meta.ErrBadTag, "badSetAttr", "Events", `Set handler for "nope"`},
		{"an Events method taking another model's On", badEventsType{}, meta.ErrBadTag, "badEventsType", "Events", "Events takes *events.On[badEventsType]"},
		{"an Events method with a result", badEventsSignature{}, meta.ErrBadTag, "badEventsSignature", "Events", "Events must have the signature"},
		{"an Append handler on a single relation", BadAppendOnOne{}, meta.ErrBadTag, "BadAppendOnOne", "Events", `Append handler for "Child"`},
		{"a related model that is itself bad", badRelatedModel{}, meta.ErrNoPrimaryKey, "BadRelTarget", "", "no primary key"},
	}
	for _, tc := range tests {
		t.Run("it rejects "+tc.name, func(t *testing.T) {
			err := meta.Register(tc.model)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.sentinel)
			for _, other := range []error{meta.ErrBadTag, meta.ErrNoPrimaryKey, meta.ErrUnsupportedType, meta.ErrNotModel, meta.ErrDuplicateTable} {
				if other != tc.sentinel {
					assert.NotErrorIs(t, err, other)
				}
			}
			var me *meta.ModelError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tc.modelN, me.Model)
			assert.Equal(t, tc.field, me.Field)
			where := "registry: model " + tc.modelN
			if tc.field != "" {
				where += "." + tc.field
			}
			assert.True(t, strings.HasPrefix(err.Error(), where+": "), "error %q should start with %q", err, where)
			assert.Contains(t, err.Error(), tc.message)

			t.Run("and registers nothing", func(t *testing.T) {
				typ := reflect.TypeOf(tc.model)
				for _, m := range meta.Models() {
					assert.NotEqual(t, typ, m.Type)
				}
				_, err2 := meta.Lookup(typ)
				require.Error(t, err2)
				assert.Equal(t, err.Error(), err2.Error(), "a failed type fails the same way again")
			})
		})
	}
}

func TestRegisterRejectsNonModels(t *testing.T) {
	var nilPtr *regNoBase
	tests := []struct {
		name  string
		value any
		model string
	}{
		{"nil", nil, "<nil>"},
		{"an int", 42, "int"},
		{"a string pointer", new(string), "string"},
		{"an anonymous struct", struct {
			ID int64 `db:"id,pk"`
		}{}, "struct { ID int64 \"db:\\\"id,pk\\\"\" }"},
		{"a pointer to a pointer", &nilPtr, "*meta_test.regNoBase"},
		{"a slice of models", []regNoBase{}, "[]meta_test.regNoBase"},
	}
	for _, tc := range tests {
		t.Run("it rejects "+tc.name, func(t *testing.T) {
			err := meta.Register(tc.value)
			require.ErrorIs(t, err, meta.ErrNotModel)
			var me *meta.ModelError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tc.model, me.Model)
		})
	}
}

type regDupA struct {
	ID int64 `db:"id,pk"`
}

func (regDupA) TableName() string { return "reg_dup" }

type regDupB struct {
	ID int64 `db:"id,pk"`
}

func (regDupB) TableName() string { return "reg_dup" }

func TestRegisterRejectsTwoModelsForOneTable(t *testing.T) {
	require.NoError(t, meta.Register(regDupA{}))
	err := meta.Register(regDupB{})
	require.ErrorIs(t, err, meta.ErrDuplicateTable)
	var me *meta.ModelError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "regDupB", me.Model)
	assert.Contains(t, err.Error(), `table "reg_dup" is already used by meta_test.regDupA`)

	m, ok := meta.ByTable("reg_dup")
	require.True(t, ok)
	assert.Equal(t, reflect.TypeFor[regDupA](), m.Type, "the first model keeps the table")
}

// ---------------------------------------------------------------------------
// The registry as a whole

type regOrderFirst struct {
	ID int64 `db:"id,pk"`
}

type regOrderSecond struct {
	ID int64 `db:"id,pk"`
}

func TestModelsAndByTable(t *testing.T) {
	require.NoError(t, meta.Register(regOrderFirst{}, &regOrderSecond{}))
	first, err := meta.Of[regOrderFirst]()
	require.NoError(t, err)
	second, err := meta.Of[regOrderSecond]()
	require.NoError(t, err)

	t.Run("Models lists models in registration order", func(t *testing.T) {
		all := meta.Models()
		i, j := slices.Index(all, first), slices.Index(all, second)
		require.NotEqual(t, -1, i)
		require.NotEqual(t, -1, j)
		assert.Less(t, i, j)
	})
	t.Run("Models returns a copy", func(t *testing.T) {
		all := meta.Models()
		all[0] = nil
		assert.NotNil(t, meta.Models()[0])
	})
	t.Run("ByTable finds a model by its table", func(t *testing.T) {
		m, ok := meta.ByTable("reg_order_second")
		require.True(t, ok)
		assert.Same(t, second, m)
	})
	t.Run("ByTable reports a missing table", func(t *testing.T) {
		m, ok := meta.ByTable("no_such_table")
		assert.False(t, ok)
		assert.Nil(t, m)
	})
	t.Run("registering again is a no-op", func(t *testing.T) {
		n := len(meta.Models())
		require.NoError(t, meta.Register(regOrderFirst{}, &regOrderFirst{}))
		assert.Len(t, meta.Models(), n)
		again, err := meta.Of[regOrderFirst]()
		require.NoError(t, err)
		assert.Same(t, first, again)
	})
}

type regConcA struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name"`
}

type regConcB struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name"`
}

func TestConcurrentRegisterAndLookup(t *testing.T) {
	const workers = 16
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		gotA   [workers]*meta.Model
		gotB   [workers]*meta.Model
		errs   [workers]error
		tables [workers]bool
	)
	for i := range workers {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				errs[i] = meta.Register(&regConcA{}, regConcB{})
			}
			a, err := meta.Lookup(reflect.TypeFor[regConcA]())
			if err != nil {
				errs[i] = err
				return
			}
			b, err := meta.Of[regConcB]()
			if err != nil {
				errs[i] = err
				return
			}
			gotA[i], gotB[i] = a, b
			_ = meta.Models()
			_, tables[i] = meta.ByTable("reg_conc_a")
		})
	}
	close(start)
	wg.Wait()

	for i := range workers {
		require.NoError(t, errs[i], "worker %d", i)
		assert.Same(t, gotA[0], gotA[i], "worker %d got another *Model for regConcA", i)
		assert.Same(t, gotB[0], gotB[i], "worker %d got another *Model for regConcB", i)
		assert.True(t, tables[i], "worker %d did not find the table", i)
	}
	assert.NotSame(t, gotA[0], gotB[0])
	count := 0
	for _, m := range meta.Models() {
		if m.Type == reflect.TypeFor[regConcA]() {
			count++
		}
	}
	assert.Equal(t, 1, count, "the model is listed once")
}
