// Package registry reflects model structs once and caches what every other
// package needs to know about them: the table, the columns with their field
// offsets, Go types and DDL options, the primary key, relation fields, the
// offset of the embedded record.Base, and the model's event handlers.
// What this package shows is the metadata a user reads (Model, Column,
// Relation), the functions that register and look models up, the naming
// conventions and the errors; the field accessors and the layout that the
// record, session and builder packages read per row are internal.
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
// Relations are fields whose type is a model, *Model, []Model or []*Model.
// Registering a model registers the models it relates to, and resolves
// every relation before anything is published (relations.go):
//
//   - a single relation is belongs-to when the owner has the foreign key (a
//     column named <snake(field)>_id, or one whose fk= option names the
//     related table, or named <snake(Related)>_id), has-one when the related
//     model has one to the owner;
//   - a slice is has-many: the related model has the foreign key;
//   - rel:"fk=column" names the foreign key column (the owner's for
//     belongs-to, the related model's otherwise), rel:"cascade" destroys
//     related records with their owner, rel:"orphans=delete" deletes
//     records that leave the relation;
//   - rel:"m2m=name" makes a many-to-many relation (Relation.Through). When
//     name is the Go type name or the table of a registered model, that
//     model is the join model: its column linking each side is the one
//     that fk= (the owner's side) or ref= (the related side) names, else
//     the one column whose fk= option references that side or that is
//     named by the join model's naming (PlaylistId for Playlist). Otherwise
//     the registry synthesizes a join table of that name (columns
//     <snake(Owner)>_id and <snake(Related)>_id, or fk= and ref=; CreateAll
//     creates it). A join model registered after the relation takes the
//     synthesized table over, so models register in any order;
//   - a relation and the one on the other side stored in the same columns
//     are each other's Inverse.
//
// No foreign key, several candidate keys, a bad rel tag or key columns of
// different kinds are a *ModelError (ErrRelation, ErrBadTag) naming the
// type and field, at registration.
//
// The registry is one of the two pieces of package-level state of the
// project (the other is session's default client); it only grows, except
// that a synthesized join table leaves it when a join model takes it over.
package registry
