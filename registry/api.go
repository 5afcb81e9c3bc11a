package registry

import (
	"reflect"
	"time"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
)

// The registry's implementation lives in internal/meta; this file names
// its public part.

type (
	Model                = meta.Model
	Column               = meta.Column
	Relation             = meta.Relation
	RelationLink         = meta.RelationLink
	Through              = meta.Through
	ForeignKey           = meta.ForeignKey
	Kind                 = meta.Kind
	RelKind              = meta.RelKind
	Naming               = meta.Naming
	Snap                 = meta.Snap
	RowKey               = meta.RowKey
	ColumnSet            = meta.ColumnSet
	ModelError           = meta.ModelError
	UnknownColumnError   = meta.UnknownColumnError
	UnknownRelationError = meta.UnknownRelationError
)

const (
	KindBool   = meta.KindBool
	KindInt    = meta.KindInt
	KindUint   = meta.KindUint
	KindFloat  = meta.KindFloat
	KindString = meta.KindString
	KindBytes  = meta.KindBytes
	KindTime   = meta.KindTime
	KindJSON   = meta.KindJSON
	KindCustom = meta.KindCustom

	BelongsTo  = meta.BelongsTo
	HasOne     = meta.HasOne
	HasMany    = meta.HasMany
	ManyToMany = meta.ManyToMany

	MaxRelations = meta.MaxRelations

	SnapValue  = meta.SnapValue
	SnapCopy   = meta.SnapCopy
	SnapDriver = meta.SnapDriver
)

var (
	ErrNotModel        = meta.ErrNotModel
	ErrBadTag          = meta.ErrBadTag
	ErrNoPrimaryKey    = meta.ErrNoPrimaryKey
	ErrUnsupportedType = meta.ErrUnsupportedType
	ErrUnknownColumn   = meta.ErrUnknownColumn
	ErrDuplicateTable  = meta.ErrDuplicateTable
	ErrRelation        = meta.ErrRelation
	ErrUnknownRelation = meta.ErrUnknownRelation

	SnakeNaming  = meta.SnakeNaming
	PascalNaming = meta.PascalNaming
)

func Register(models ...any) error                       { return meta.Register(models...) }
func Lookup(t reflect.Type) (*Model, error)              { return meta.Lookup(t) }
func Registered(t reflect.Type) (*Model, bool)           { return meta.Registered(t) }
func Of[T any]() (*Model, error)                         { return meta.Of[T]() }
func Models() []*Model                                   { return meta.Models() }
func ByTable(table string) (*Model, bool)                { return meta.ByTable(table) }
func IsModelType(t reflect.Type) bool                    { return meta.IsModelType(t) }
func Detached(models ...any) ([]*Model, error)           { return meta.Detached(models...) }
func JoinModels(models []*Model) []*Model                { return meta.JoinModels(models) }
func ColumnSetOf(positions ...int) ColumnSet             { return meta.ColumnSetOf(positions...) }
func RowKeyOf(values ...any) RowKey                      { return meta.RowKeyOf(values...) }
func ScanDestOf(t reflect.Type) func(unsafe.Pointer) any { return meta.ScanDestOf(t) }
func SameDriverValue(a, b any) bool                      { return meta.SameDriverValue(a, b) }
func ValidIdentifier(s string) bool                      { return meta.ValidIdentifier(s) }
func SnakeCase(s string) string                          { return meta.SnakeCase(s) }
func ParseTime(s string) (time.Time, error)              { return meta.ParseTime(s) }
