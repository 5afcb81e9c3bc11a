package meta

import (
	"errors"
	"fmt"
)

// Every typed error of the package that has a sentinel matches it through
// an Is method; Unwrap returns its cause (the driver's error, a handler's,
// an inner failure), never the sentinel.

// Sentinel errors; the typed errors below match them with errors.Is.
var (
	ErrNotModel        = errors.New("registry: not a model")
	ErrBadTag          = errors.New("registry: bad struct tag")
	ErrNoPrimaryKey    = errors.New("registry: no primary key")
	ErrUnsupportedType = errors.New("registry: unsupported field type")
	ErrUnknownColumn   = errors.New("registry: unknown column")
	ErrDuplicateTable  = errors.New("registry: two models use one table")
)

// ModelError reports a problem with a model definition; Model and Field name
// the Go type and field.
type ModelError struct {
	Model string
	Field string
	Kind  error // one of the sentinels above
	Err   error
}

func (e *ModelError) Error() string {
	where := e.Model
	if e.Field != "" {
		where += "." + e.Field
	}
	return fmt.Sprintf("registry: model %s: %v", where, e.Err)
}

// Is makes errors.Is(err, e.Kind) true.
func (e *ModelError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause.
func (e *ModelError) Unwrap() error { return e.Err }

// UnknownColumnError reports a name that is not a column of the model.
type UnknownColumnError struct {
	Model  string
	Column string
}

func (e *UnknownColumnError) Error() string {
	return fmt.Sprintf("registry: model %s has no column %q", e.Model, e.Column)
}

// Is makes errors.Is(err, ErrUnknownColumn) true.
func (e *UnknownColumnError) Is(target error) bool { return target == ErrUnknownColumn }

// Sentinels for relation errors; *ModelError and *UnknownRelationError
// match them with errors.Is.
var (
	ErrRelation        = errors.New("registry: unresolvable relation")
	ErrUnknownRelation = errors.New("registry: unknown relation")
)

// UnknownRelationError reports a name that is not a relation of the model,
// for example in a preload path.
type UnknownRelationError struct {
	Model    string
	Relation string
	Path     string // the whole dotted path it was found in, if any
}

func (e *UnknownRelationError) Error() string {
	if e.Path != "" && e.Path != e.Relation {
		return fmt.Sprintf("registry: model %s has no relation %q (in %q)", e.Model, e.Relation, e.Path)
	}
	return fmt.Sprintf("registry: model %s has no relation %q", e.Model, e.Relation)
}

// Is makes errors.Is(err, ErrUnknownRelation) true.
func (e *UnknownRelationError) Is(target error) bool { return target == ErrUnknownRelation }
