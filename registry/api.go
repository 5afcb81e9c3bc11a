package registry

import (
	"reflect"
	"time"

	"github.com/sqlservice/sqlservice/internal/meta"
)

// The registry's implementation lives in internal/meta. This file names
// what a user of the registry reads: the metadata of a model, the functions
// that register and look models up, the naming conventions and the errors.
// The types are aliases, so a *registry.Model is the model the record,
// session and builder packages work with; the field accessors and layout
// those packages read per row are functions of internal/meta and are not
// reachable through these names.

type (
	// Model is the cached metadata of one registered struct type: its Go
	// Type and Name, Table, Columns in field order, PK in key order, the
	// AutoIncrement, Version and SoftDelete columns when it has them,
	// AutoTimes (the autocreate and autoupdate columns), Relations, the
	// Naming its untagged names come from, and HasBase (it embeds
	// record.Base[T]). Methods: Column (by column or field name),
	// MustColumns, ColumnNames, Relation (by field name), IsJoin. It is
	// built once at registration and never modified afterwards.
	Model = meta.Model

	// Column describes one mapped struct field: Name (the column), Field
	// (the Go field), Type (the field's Go type), Kind and Bits (its storage
	// class and, for numbers, its size in bits), and what its tag declares:
	// PK, AutoIncrement, Version, AutoCreate, AutoUpdate, SoftDelete,
	// Nullable, NotNull, Unique, Indexed, Size, Default, HasDefault,
	// SQLType, FK.
	Column = meta.Column

	// Relation is a field whose type is another model, a pointer to one, or
	// a slice of either: Field, Type, Target (the related struct type),
	// Many, Pointer, Tag (the raw rel tag), and how it is stored (the
	// embedded RelationLink). Through returns a many-to-many relation's
	// join, Key its key in maps, String "Owner.Field".
	Relation = meta.Relation

	// RelationLink is the resolved storage of a relation: Kind, Owner,
	// Related, the FK and Ref columns (RelatedRef for many-to-many),
	// Cascade, DeleteOrphans and the Inverse relation.
	//
	//	BelongsTo:          Owner.FK  → Related.Ref
	//	HasOne, HasMany:    Related.FK → Owner.Ref
	//	ManyToMany:         Through().Join.FK → Owner.Ref, Through().JoinRef → Related.RelatedRef
	RelationLink = meta.RelationLink

	// Through is how a many-to-many relation is stored: the Join model (a
	// registered model, or a join table the registry synthesized) and its
	// FK and JoinRef columns holding the key of each side.
	Through = meta.Through

	// ForeignKey is the target (Table, Column) of a column's
	// fk=table.column tag option.
	ForeignKey = meta.ForeignKey

	// Kind is the storage class of a column, from which each dialect
	// derives its DDL type; String returns "bool", "int", ...
	Kind = meta.Kind

	// RelKind is how a relation is stored; String returns "belongs-to",
	// "has-one", "has-many" or "many-to-many".
	RelKind = meta.RelKind

	// Naming derives a model's database names from its Go names: Name
	// gives the table or column name of a Go type or field name,
	// ForeignKey the column that by convention refers to a model or
	// relation field. A model chooses its naming with a method:
	//
	//	func (Album) Naming() registry.Naming { return registry.PascalNaming }
	//
	// or, for every model of a schema, by embedding a field-less type with
	// that method. Models without one use SnakeNaming.
	Naming = meta.Naming

	// RowKey identifies a row of a model by its primary key values (or any
	// list of column values). It is comparable and equal for equal values
	// whatever Go types hold them (integers of any size, pointers by what
	// they point to, times by instant). Valid is false when a value is
	// NULL; String formats the values. record.KeyOf returns one.
	RowKey = meta.RowKey

	// ColumnSet is a set of a model's columns by position in
	// Model.Columns, of any width, comparable; Add, Has and Empty. The
	// builder's Statements take one for the columns an INSERT omits or an
	// UPDATE sets.
	ColumnSet = meta.ColumnSet

	// ModelError reports a problem with a model definition: Model and
	// Field name the Go type and field, Kind is one of the sentinels
	// (errors.Is matches it), Err the cause.
	ModelError = meta.ModelError

	// UnknownColumnError reports a Column name that is not a column of
	// Model; errors.Is(err, ErrUnknownColumn) is true.
	UnknownColumnError = meta.UnknownColumnError

	// UnknownRelationError reports a Relation name that is not a relation
	// of Model (Path is the dotted path it was found in, if any);
	// errors.Is(err, ErrUnknownRelation) is true.
	UnknownRelationError = meta.UnknownRelationError
)

// Storage classes of columns.
const (
	KindBool   = meta.KindBool
	KindInt    = meta.KindInt
	KindUint   = meta.KindUint
	KindFloat  = meta.KindFloat
	KindString = meta.KindString
	KindBytes  = meta.KindBytes
	KindTime   = meta.KindTime
	KindJSON   = meta.KindJSON
	KindCustom = meta.KindCustom // a type implementing driver.Valuer and sql.Scanner
)

// Relation kinds.
const (
	BelongsTo  = meta.BelongsTo  // the owner holds the foreign key (UserRole.User through user_role.user_id)
	HasOne     = meta.HasOne     // the related model holds a foreign key to the owner; a single model or pointer
	HasMany    = meta.HasMany    // the related model holds a foreign key to the owner; a slice
	ManyToMany = meta.ManyToMany // a join table holds a key of each side (Relation.Through)
)

// MaxRelations is the largest number of relation fields one model may have.
const MaxRelations = meta.MaxRelations

// Sentinel errors; *ModelError, *UnknownColumnError and
// *UnknownRelationError match them with errors.Is.
var (
	ErrNotModel        = meta.ErrNotModel        // not a named struct type, or embeds record.Base of another type
	ErrBadTag          = meta.ErrBadTag          // a db or rel tag, a table name or an Events method that cannot be used
	ErrNoPrimaryKey    = meta.ErrNoPrimaryKey    // no primary key, or two without a composite declaration
	ErrUnsupportedType = meta.ErrUnsupportedType // a field type that cannot be stored
	ErrUnknownColumn   = meta.ErrUnknownColumn   // a name that is not a column of the model
	ErrDuplicateTable  = meta.ErrDuplicateTable  // two models use one table
	ErrRelation        = meta.ErrRelation        // a relation whose storage cannot be resolved
	ErrUnknownRelation = meta.ErrUnknownRelation // a name that is not a relation of the model
)

// Namings.
var (
	// SnakeNaming is the default: UserRole → user_role, UserID → user_id,
	// a reference to User or to a field User → user_id.
	SnakeNaming = meta.SnakeNaming
	// PascalNaming names tables and columns as many existing schemas do:
	// UserRole → UserRole, UserID → UserId, HTTPServer → HttpServer, a
	// reference to Artist → ArtistId.
	PascalNaming = meta.PascalNaming
)

// Register reflects each model (a struct value or pointer) once and caches
// its metadata. Registering a type again is a no-op. Related models found in
// relation fields are registered too. It returns a *ModelError naming the
// type and field for a bad definition; nothing is registered from a call
// that fails.
func Register(models ...any) error { return meta.Register(models...) }

// Of returns the model of T, registering it on first use; a bad definition
// is a *ModelError.
func Of[T any]() (*Model, error) { return meta.Of[T]() }

// Lookup returns the cached model of a struct type, registering it on first
// use; a bad definition is a *ModelError.
func Lookup(t reflect.Type) (*Model, error) { return meta.Lookup(t) }

// Registered returns the model of t when t has been registered (by
// Register or a first use), without registering it.
func Registered(t reflect.Type) (*Model, bool) { return meta.Registered(t) }

// Models returns every registered model in registration order.
func Models() []*Model { return meta.Models() }

// ByTable returns the registered model stored in table.
func ByTable(table string) (*Model, bool) { return meta.ByTable(table) }

// IsModelType reports whether t is a struct that embeds a record.Base.
func IsModelType(t reflect.Type) bool { return meta.IsModelType(t) }

// Detached returns the metadata of models (struct values or pointers) as
// Register would build it, without registering them: for schema tools that
// hold two releases of one table in one program, such as a diff between
// the models a database was created with and the current ones. A type that
// is registered already gives its registered model. Table names must be
// unique among the given models and the models they relate to, not among
// the registered ones. A bad definition is a *ModelError.
func Detached(models ...any) ([]*Model, error) { return meta.Detached(models...) }

// ColumnSetOf returns the set of the columns at the given positions in
// Model.Columns.
func ColumnSetOf(positions ...int) ColumnSet { return meta.ColumnSetOf(positions...) }

// RowKeyOf returns the RowKey of values, in key order: RowKeyOf(id) for a
// one-column key.
func RowKeyOf(values ...any) RowKey { return meta.RowKeyOf(values...) }

// ValidIdentifier reports whether s may be used as a table or column name:
// ASCII letters, digits and underscores, not starting with a digit, 1 to 63
// characters.
func ValidIdentifier(s string) bool { return meta.ValidIdentifier(s) }

// SnakeCase converts a Go identifier to snake_case (UserRole → user_role,
// UserID → user_id, HTTPServer → http_server).
func SnakeCase(s string) string { return meta.SnakeCase(s) }

// ParseTime reads a time stored as text in any of the common forms: an
// ISO 8601 / RFC 3339 date and time with or without 'T', fractional
// seconds, an offset or 'Z'; a date alone; Go's time.Time.String. A text
// without an offset is taken as UTC. The result is in UTC. It returns an
// error naming the text when no form fits.
func ParseTime(s string) (time.Time, error) { return meta.ParseTime(s) }
