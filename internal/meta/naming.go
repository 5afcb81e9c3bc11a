package meta

import "strings"

// Naming derives a model's database names from its Go names: the table
// from the type name (unless the type has a TableName method), each
// column from its field name (unless the db tag names it), and the
// foreign key column that refers to another model or to a relation field
// by convention.
//
// A model chooses its naming with a method, as it chooses its table name:
//
//	func (Album) Naming() registry.Naming { return registry.PascalNaming }
//
// or, for every model of a schema at once, by embedding a field-less type
// that has the method (its method is promoted; it adds no columns). Models
// without one use SnakeNaming. There is no package-level default to change:
// a model's names never depend on what else the program registered.
type Naming interface {
	// Name returns the table or column name of a Go type or field name.
	Name(goName string) string
	// ForeignKey returns the name of the column that, by convention,
	// refers to the model or relation field named goName.
	ForeignKey(goName string) string
}

// Namings.
var (
	// SnakeNaming is the default: UserRole → user_role, UserID → user_id,
	// a reference to User or to a field User → user_id.
	SnakeNaming Naming = snakeNaming{}
	// PascalNaming names tables and columns as many existing schemas do:
	// UserRole → UserRole, UserID → UserId, HTTPServer → HttpServer, a
	// reference to Artist → ArtistId.
	PascalNaming Naming = pascalNaming{}
)

type snakeNaming struct{}

func (snakeNaming) Name(s string) string       { return SnakeCase(s) }
func (snakeNaming) ForeignKey(s string) string { return SnakeCase(s) + "_id" }

type pascalNaming struct{}

func (pascalNaming) Name(s string) string       { return pascalCase(s) }
func (pascalNaming) ForeignKey(s string) string { return pascalCase(s) + "Id" }

// pascalCase splits a Go name into words as SnakeCase does and joins them
// capitalised: UserID → UserId.
func pascalCase(s string) string {
	words := strings.Split(SnakeCase(s), "_")
	var b strings.Builder
	b.Grow(len(s))
	for _, w := range words {
		if w == "" {
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]))
		b.WriteString(w[1:])
	}
	return b.String()
}

// namer is implemented by models that choose their Naming.
type namer interface{ Naming() Naming }

// naming returns the model's Naming; a model the registry synthesised (a
// join table) has SnakeNaming.
func (m *Model) naming() Naming {
	if m.Naming == nil {
		return SnakeNaming
	}
	return m.Naming
}
