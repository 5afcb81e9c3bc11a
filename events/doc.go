// Package events declares model events: what a model's Events method
// registers, and the hook interfaces a model pointer may implement. It
// imports nothing of the project; the registry calls Events once per model
// and keeps the handlers, and package record fires them.
//
//	func (User) Events(on *events.On[User]) {
//		on.Set("phone", func(u *User, value, old any) (any, error) {
//			return nonDigits.ReplaceAllString(value.(string), ""), nil
//		})
//		on.BeforeInsert(func(ctx context.Context, u *User) error { ... })
//	}
//
//	func (u *User) AfterSave(ctx context.Context) error { ... } // picked up too
//
// # Order
//
// Save runs, inside one transaction (the caller's, or one of its own):
// BeforeSave, then BeforeInsert or BeforeUpdate, the SQL, AfterInsert or
// AfterUpdate, then AfterSave. Destroy runs BeforeDelete, the SQL,
// AfterDelete. Several handlers of one kind run in registration order, the
// hook methods after the handlers registered through On. An error from any
// of them stops the write, is returned wrapped in a *HandlerError, and rolls
// the transaction back, with whatever the handlers wrote through their ctx
// (which carries the transaction). record.SkipHooks(ctx) turns them all off.
// A model without handlers pays nothing: its writes run as single
// statements without a transaction of their own. In a save that cascades
// through relations, each record's hooks surround its own row, as in the
// original's unit of work: belongs-to parents are saved (with their hooks)
// first, then the record, then its children, all in one transaction that a
// refusal anywhere rolls back.
//
// Attribute events (Set, InitScalar, Modified, Append, Remove) fire from
// record.New, Base.Update, Base.Set and relation assignment. Go cannot
// intercept a plain field assignment: u.Phone = "x" fires nothing.
//
// # The original's 19 decorators
//
//	on_set(attr, retval=True)       On.Set: returns the value to store
//	on_init_scalar(attr)            On.InitScalar: the value of a column that record.New was not given
//	on_modified(attr)               On.Modified: after New/Update/Set set the column
//	on_append(attr)                 On.Append: an item added to a relation collection; returns the item to add
//	on_remove(attr)                 On.Remove: an item leaving a relation collection
//	on_bulk_replace(attr)           no separate kind: replacing a collection fires Remove for each item
//	                                that leaves and Append for each item that joins
//	on_init_collection(attr)        none: a nil Go slice is an empty collection, there is nothing to initialise
//	on_dispose_collection(attr)     none: a replaced slice is garbage-collected; Remove fires per item
//	before_insert / after_insert    On.BeforeInsert / On.AfterInsert, or methods BeforeInsert(ctx) / AfterInsert(ctx)
//	before_update / after_update    On.BeforeUpdate / On.AfterUpdate, or methods BeforeUpdate(ctx) / AfterUpdate(ctx)
//	before_delete / after_delete    On.BeforeDelete / On.AfterDelete, or methods BeforeDelete(ctx) / AfterDelete(ctx)
//	before_save / after_save        On.BeforeSave / On.AfterSave (both insert and update, as in the original),
//	                                or methods BeforeSave(ctx) / AfterSave(ctx)
//	on_load                         On.Load, or method AfterLoad(ctx): a row scanned into a new record
//	on_refresh                      On.Refresh: Base.Refresh reloaded the record
//	on_expire                       none: Go records are plain values and are never expired behind the
//	                                caller's back (SQL_EXPIRE_ON_COMMIT drops the session's identity
//	                                map instead, so the next load reads the row again)
//
// Mapper events receive (ctx, record) instead of SQLAlchemy's (mapper,
// connection, target): the ctx carries the transaction, so a handler reads
// and writes other records through it.
package events
