// Package registry reflects model structs once and caches what every other
// package needs to know about them: the table, the columns with their field
// offsets, Go types and DDL options, the primary key, relation fields, the
// offset of the embedded record.Base, and the model's event handlers.
//
// Models are registered explicitly with Register or on first use by any
// record function. Registration is concurrency-safe, and a model that fails
// to register leaves the registry as it was. Errors name the Go type and
// field: a bad tag (ErrBadTag), no or an ambiguous primary key
// (ErrNoPrimaryKey), an unsupported field type (ErrUnsupportedType).
//
//	type User struct {
//		record.Base[User]
//		ID   int64  `db:"id,pk,autoincrement"`
//		Name string `db:"name,size=100"`
//	}
//
//	m, err := registry.Of[User]()     // m.Table == "user"
//	c, ok := m.Column("name")         // by column or Go field name
//
// The registry is one of the two pieces of package-level state of the
// project (the other is session's default client); it only ever grows.
package registry
