// Package record is the active-record API: Base, embedded in a model,
// gives it Save, Destroy, Update, Set, ToMap and All; the generic functions
// New, Get, Find, FindOne, Query, Save and Destroy load and write models of
// a type.
//
//	type User struct {
//		record.Base[User]
//		ID   int64  `db:"id,pk,autoincrement"`
//		Name string `db:"name"`
//	}
//
//	u := &User{Name: "Jenny"}
//	err := u.Save(ctx)                       // INSERT
//	u, err = record.Get[User](ctx, u.ID)     // SELECT by key
//	us, err := record.Query[User](ctx).Where(builder.Eq{"name": "Jenny"}).All()
//
// Fields whose type is another model, a pointer to one or a slice of either
// are relations (see package registry for how they are resolved). Update
// and New take nested maps for them, Save cascades through them, Destroy
// cascades where tagged rel:"cascade", QuerySet.Preload loads them without
// N+1 queries, and ToMap and JSON nest the loaded ones:
//
//	u, err := record.New[User](map[string]any{"name": "Jenny", "roles": []map[string]any{{"role": "admin"}}})
//	err = u.Save(ctx)                                                 // the user, then her roles
//	us, err := record.Query[User](ctx).Preload("Roles.Permissions").All() // three queries
//	b, err := json.Marshal(us[0])                                     // same shape as us[0].ToMap()
//
// Many at once: SaveAll stores records as the original's save(models,
// before, after, identity) does, with one lookup per call; BulkInsert,
// BulkInsertMany, BulkUpdate and BulkDiffUpdate write rows with few
// statements and no hooks; Raw maps hand-written SQL to records.
//
// Rows are scanned straight into the fields through offsets the registry
// computed once; a loaded record remembers its column values so that Save
// writes only what changed. Every call that may touch the database takes
// the context first, and finds its client there (see package session).
//
// Errors: ErrNotFound (also sql.ErrNoRows) for missing rows, *FieldError
// (ErrInvalidValue) for values that do not fit a field,
// registry.ErrUnknownColumn for names that are not columns, *DBError
// wrapping what the driver said, *RelationError (ErrRelation) for a
// relation value or cascade that cannot be done, *ReferencedError
// (ErrReferenced) when a foreign key refuses a Destroy.
package record
