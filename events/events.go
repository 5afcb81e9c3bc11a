package events

import (
	"context"
	"reflect"

	"github.com/sqlservice/sqlservice/internal/hooks"
)

// Kind names a model event; HandlerError.Kind says which kind of handler
// failed. String returns its name, e.g. "BeforeInsert".
type Kind = hooks.Kind

// The event kinds. Attribute kinds (Set, Append, Remove, InitScalar,
// Modified) fire from record.New, Base.Update, Base.Set and relation
// appends; mapper kinds fire around the SQL that writes or reads a row.
const (
	KindSet          = hooks.KindSet
	KindAppend       = hooks.KindAppend
	KindRemove       = hooks.KindRemove
	KindLoad         = hooks.KindLoad
	KindRefresh      = hooks.KindRefresh
	KindBeforeSave   = hooks.KindBeforeSave
	KindBeforeInsert = hooks.KindBeforeInsert
	KindBeforeUpdate = hooks.KindBeforeUpdate
	KindBeforeDelete = hooks.KindBeforeDelete
	KindAfterInsert  = hooks.KindAfterInsert
	KindAfterUpdate  = hooks.KindAfterUpdate
	KindAfterDelete  = hooks.KindAfterDelete
	KindAfterSave    = hooks.KindAfterSave
	KindInitScalar   = hooks.KindInitScalar
	KindModified     = hooks.KindModified
)

// On is what a model's Events method receives: typed registration methods
// for each event kind. Handlers run in the order they are registered.
//
//	func (User) Events(on *events.On[User]) {
//		on.Set("phone", func(u *User, value, old any) (any, error) { ... })
//		on.BeforeInsert(func(ctx context.Context, u *User) error { ... })
//	}
type On[T any] struct {
	h *hooks.Handlers
}

// handlers returns what was registered so far.
func (o *On[T]) handlers() *hooks.Handlers {
	o.init()
	return o.h
}

// onTypes returns T and *On[T]: the registry recognises the parameter of
// an Events method by these types, not by its name.
func (*On[T]) onTypes() (model, on reflect.Type) {
	return reflect.TypeFor[T](), reflect.TypeFor[*On[T]]()
}

// registration is what every *On[T] implements for the hand-off below.
type registration interface {
	handlers() *hooks.Handlers
	onTypes() (model, on reflect.Type)
}

var registrationType = reflect.TypeFor[registration]()

// The registry (internal/meta) calls a model's Events method through
// reflection and reads the handlers through this hand-off, so that none of
// it is exported.
func init() {
	hooks.SetOn(func(t reflect.Type) (reflect.Type, bool) {
		// A type that merely embeds an On has its methods too: only
		// *On[T] itself reports its own type.
		if t.Kind() != reflect.Pointer || !t.Implements(registrationType) {
			return nil, false
		}
		model, on := reflect.New(t.Elem()).Interface().(registration).onTypes()
		return model, on == t
	}, func(on any) *hooks.Handlers { return on.(registration).handlers() })
}

func (o *On[T]) init() {
	if o.h == nil {
		o.h = &hooks.Handlers{}
	}
}

// Set registers fn for assignments to the column (or relation field) named
// attribute through record.New, Base.Update and Base.Set. fn returns the
// value to store, like the original's on_set(retval=True); an error aborts
// the assignment.
func (o *On[T]) Set(attribute string, fn func(m *T, value, old any) (any, error)) {
	o.init()
	o.h.AddSet(attribute, func(m, v, old any) (any, error) { return fn(m.(*T), v, old) })
}

// Append registers fn for items added to the relation collection named
// attribute; fn returns the item to add.
func (o *On[T]) Append(attribute string, fn func(m *T, item any) (any, error)) {
	o.init()
	o.h.AddAppend(attribute, func(m, it any) (any, error) { return fn(m.(*T), it) })
}

// Remove registers fn for items removed from the relation collection named
// attribute (when a collection is replaced, for each item that leaves it).
func (o *On[T]) Remove(attribute string, fn func(m *T, item any) error) {
	o.init()
	o.h.AddRemove(attribute, func(m, it any) (any, error) { return it, fn(m.(*T), it) })
}

// InitScalar registers fn to give the initial value of attribute (a
// column) when record.New is not given one, like the original's
// on_init_scalar. Values given to New win; the result goes through the
// same conversion as a value in the map.
func (o *On[T]) InitScalar(attribute string, fn func(m *T) (any, error)) {
	o.init()
	o.h.AddInit(attribute, func(m any) (any, error) { return fn(m.(*T)) })
}

// Modified registers fn to run after record.New, Base.Update or Base.Set
// set attribute (a column), with the new value in place. Go cannot see a
// plain field assignment, so u.Phone = "x" fires nothing.
func (o *On[T]) Modified(attribute string, fn func(m *T, attribute string)) {
	o.init()
	o.h.AddModified(attribute, func(m any, a string) { fn(m.(*T), a) })
}

func (o *On[T]) add(k Kind, fn func(ctx context.Context, m *T) error) {
	o.init()
	o.h.AddModel(k, func(ctx context.Context, m any) error { return fn(ctx, m.(*T)) })
}

// Load registers fn to run after a row has been scanned into a new model.
func (o *On[T]) Load(fn func(ctx context.Context, m *T) error) { o.add(KindLoad, fn) }

// Refresh registers fn to run after an existing model was reloaded from the
// database.
func (o *On[T]) Refresh(fn func(ctx context.Context, m *T) error) { o.add(KindRefresh, fn) }

// BeforeSave registers fn to run before both INSERT and UPDATE.
func (o *On[T]) BeforeSave(fn func(ctx context.Context, m *T) error) { o.add(KindBeforeSave, fn) }

// BeforeInsert registers fn to run before INSERT; an error aborts the write.
func (o *On[T]) BeforeInsert(fn func(ctx context.Context, m *T) error) { o.add(KindBeforeInsert, fn) }

// BeforeUpdate registers fn to run before UPDATE; an error aborts the write.
func (o *On[T]) BeforeUpdate(fn func(ctx context.Context, m *T) error) { o.add(KindBeforeUpdate, fn) }

// BeforeDelete registers fn to run before DELETE; an error aborts the write.
func (o *On[T]) BeforeDelete(fn func(ctx context.Context, m *T) error) { o.add(KindBeforeDelete, fn) }

// AfterInsert registers fn to run after INSERT, inside its transaction.
func (o *On[T]) AfterInsert(fn func(ctx context.Context, m *T) error) { o.add(KindAfterInsert, fn) }

// AfterUpdate registers fn to run after UPDATE, inside its transaction.
func (o *On[T]) AfterUpdate(fn func(ctx context.Context, m *T) error) { o.add(KindAfterUpdate, fn) }

// AfterDelete registers fn to run after DELETE, inside its transaction.
func (o *On[T]) AfterDelete(fn func(ctx context.Context, m *T) error) { o.add(KindAfterDelete, fn) }

// AfterSave registers fn to run after both INSERT and UPDATE.
func (o *On[T]) AfterSave(fn func(ctx context.Context, m *T) error) { o.add(KindAfterSave, fn) }

// Interface hooks: methods on the model pointer that the registry picks up
// without an Events method. Each runs after the handlers registered through
// On for the same kind.
type (
	BeforeSaver interface {
		BeforeSave(ctx context.Context) error
	}
	AfterSaver interface {
		AfterSave(ctx context.Context) error
	}
	BeforeInserter interface {
		BeforeInsert(ctx context.Context) error
	}
	AfterInserter interface {
		AfterInsert(ctx context.Context) error
	}
	BeforeUpdater interface {
		BeforeUpdate(ctx context.Context) error
	}
	AfterUpdater interface {
		AfterUpdate(ctx context.Context) error
	}
	BeforeDeleter interface {
		BeforeDelete(ctx context.Context) error
	}
	AfterDeleter interface {
		AfterDelete(ctx context.Context) error
	}
	AfterLoader interface {
		AfterLoad(ctx context.Context) error
	}
)
