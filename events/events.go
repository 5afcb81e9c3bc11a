package events

import (
	"context"
	"fmt"
	"slices"
)

// Kind names a model event.
type Kind uint8

// The event kinds. Attribute kinds (Set, Append, Remove) fire from
// record.New, Base.Update, Base.Set and relation appends; mapper kinds fire
// around the SQL that writes or reads a row.
const (
	KindSet Kind = iota
	KindAppend
	KindRemove
	KindLoad
	KindRefresh
	KindBeforeSave
	KindBeforeInsert
	KindBeforeUpdate
	KindBeforeDelete
	KindAfterInsert
	KindAfterUpdate
	KindAfterDelete
	KindAfterSave
	KindInitScalar
	KindModified
	numKinds
)

var kindNames = [...]string{
	KindSet:          "Set",
	KindAppend:       "Append",
	KindRemove:       "Remove",
	KindLoad:         "Load",
	KindRefresh:      "Refresh",
	KindBeforeSave:   "BeforeSave",
	KindBeforeInsert: "BeforeInsert",
	KindBeforeUpdate: "BeforeUpdate",
	KindBeforeDelete: "BeforeDelete",
	KindAfterInsert:  "AfterInsert",
	KindAfterUpdate:  "AfterUpdate",
	KindAfterDelete:  "AfterDelete",
	KindAfterSave:    "AfterSave",
	KindInitScalar:   "InitScalar",
	KindModified:     "Modified",
}

// String returns the kind's name, e.g. "BeforeInsert".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// SetFunc is the untyped form of a Set handler: it receives the model
// pointer, the new value and the old value, and returns the value to store.
type SetFunc func(model, value, old any) (any, error)

// ItemFunc is the untyped form of an Append or Remove handler.
type ItemFunc func(model, item any) (any, error)

// ModelFunc is the untyped form of a mapper-style handler (Load, Refresh,
// Before*/After*).
type ModelFunc func(ctx context.Context, model any) error

// Handlers holds every handler a model declared, in registration order. The
// registry builds it once per model; it is read-only afterwards.
type Handlers struct {
	attrs    []attrHandler // attribute handlers in registration order
	set      map[string][]SetFunc
	append   map[string][]ItemFunc
	remove   map[string][]ItemFunc
	init     map[string][]InitFunc
	modified map[string][]ModifiedFunc
	model    [numKinds][]ModelFunc
}

// InitFunc is the untyped form of an InitScalar handler: it returns the
// initial value of an attribute that record.New was not given.
type InitFunc func(model any) (any, error)

// ModifiedFunc is the untyped form of a Modified handler.
type ModifiedFunc func(model any, attribute string)

// attrHandler is one attribute handler as registered.
type attrHandler struct {
	kind     Kind
	attr     string
	set      SetFunc
	item     ItemFunc
	init     InitFunc
	modified ModifiedFunc
}

// Empty reports whether no handler of any kind was registered.
func (h *Handlers) Empty() bool {
	if h == nil {
		return true
	}
	if len(h.attrs) > 0 {
		return false
	}
	for _, fns := range h.model {
		if len(fns) > 0 {
			return false
		}
	}
	return true
}

// Has reports whether at least one handler of kind k was registered (for
// attribute kinds: on any attribute).
func (h *Handlers) Has(k Kind) bool {
	if h == nil {
		return false
	}
	switch k {
	case KindSet:
		return len(h.set) > 0
	case KindAppend:
		return len(h.append) > 0
	case KindRemove:
		return len(h.remove) > 0
	case KindInitScalar:
		return len(h.init) > 0
	case KindModified:
		return len(h.modified) > 0
	}
	return int(k) < len(h.model) && len(h.model[k]) > 0
}

// HasSet reports whether attribute has Set handlers.
func (h *Handlers) HasSet(attribute string) bool { return h != nil && len(h.set[attribute]) > 0 }

// Canonicalize re-keys the attribute handlers by the name canon returns for
// the name each was registered under (the registry maps field and column
// names to one key), keeping registration order across both spellings. An
// error from canon (an unknown attribute) is returned as is.
func (h *Handlers) Canonicalize(canon func(k Kind, attribute string) (string, error)) error {
	if h == nil {
		return nil
	}
	set, app, rem := map[string][]SetFunc{}, map[string][]ItemFunc{}, map[string][]ItemFunc{}
	ini, mod := map[string][]InitFunc{}, map[string][]ModifiedFunc{}
	for i := range h.attrs {
		a := &h.attrs[i]
		name, err := canon(a.kind, a.attr)
		if err != nil {
			return err
		}
		a.attr = name
		switch a.kind {
		case KindSet:
			set[name] = append(set[name], a.set)
		case KindAppend:
			app[name] = append(app[name], a.item)
		case KindRemove:
			rem[name] = append(rem[name], a.item)
		case KindInitScalar:
			ini[name] = append(ini[name], a.init)
		case KindModified:
			mod[name] = append(mod[name], a.modified)
		}
	}
	h.set, h.append, h.remove, h.init, h.modified = set, app, rem, ini, mod
	return nil
}

// FireSet runs the Set handlers of attribute in order, each receiving the
// value returned by the previous one, and returns the value to store.
func (h *Handlers) FireSet(model any, attribute string, value, old any) (any, error) {
	if h == nil {
		return value, nil
	}
	for _, fn := range h.set[attribute] {
		v, err := fn(model, value, old)
		if err != nil {
			return nil, err
		}
		value = v
	}
	return value, nil
}

// InitAttributes returns the attributes that have InitScalar handlers.
func (h *Handlers) InitAttributes() []string {
	if h == nil {
		return nil
	}
	var out []string
	for _, a := range h.attrs {
		if a.kind == KindInitScalar && !slices.Contains(out, a.attr) {
			out = append(out, a.attr)
		}
	}
	return out
}

// FireInit runs the InitScalar handlers of attribute in order; each later
// one overrides the value of the earlier ones. ok is false when there are
// none.
func (h *Handlers) FireInit(model any, attribute string) (v any, ok bool, err error) {
	if h == nil {
		return nil, false, nil
	}
	for _, fn := range h.init[attribute] {
		if v, err = fn(model); err != nil {
			return nil, false, err
		}
		ok = true
	}
	return v, ok, nil
}

// FireModified runs the Modified handlers of attribute.
func (h *Handlers) FireModified(model any, attribute string) {
	if h == nil {
		return
	}
	for _, fn := range h.modified[attribute] {
		fn(model, attribute)
	}
}

// FireAppend runs the Append handlers of a relation attribute and returns
// the item to append.
func (h *Handlers) FireAppend(model any, attribute string, item any) (any, error) {
	if h == nil {
		return item, nil
	}
	return fireItems(h.append[attribute], model, item)
}

// FireRemove runs the Remove handlers of a relation attribute.
func (h *Handlers) FireRemove(model any, attribute string, item any) error {
	if h == nil {
		return nil
	}
	_, err := fireItems(h.remove[attribute], model, item)
	return err
}

func fireItems(fns []ItemFunc, model, item any) (any, error) {
	for _, fn := range fns {
		v, err := fn(model, item)
		if err != nil {
			return nil, err
		}
		item = v
	}
	return item, nil
}

// Fire runs the handlers of a mapper kind in registration order and stops at
// the first error, which it returns wrapped with the kind.
func (h *Handlers) Fire(ctx context.Context, k Kind, model any) error {
	if h == nil {
		return nil
	}
	for _, fn := range h.model[k] {
		if err := fn(ctx, model); err != nil {
			return &HandlerError{Kind: k, Err: err}
		}
	}
	return nil
}

// Collector is implemented by *On[T]; the registry uses it to read what a
// model's Events method registered without knowing T.
type Collector interface {
	Handlers() *Handlers
}

// On is what a model's Events method receives: typed registration methods
// for each event kind. Handlers run in the order they are registered.
//
//	func (User) Events(on *events.On[User]) {
//		on.Set("phone", func(u *User, value, old any) (any, error) { ... })
//		on.BeforeInsert(func(ctx context.Context, u *User) error { ... })
//	}
type On[T any] struct {
	h *Handlers
}

// Handlers returns what was registered so far.
func (o *On[T]) Handlers() *Handlers {
	o.init()
	return o.h
}

func (o *On[T]) init() {
	if o.h == nil {
		o.h = &Handlers{}
	}
}

// Set registers fn for assignments to the column (or relation field) named
// attribute through record.New, Base.Update and Base.Set. fn returns the
// value to store, like the original's on_set(retval=True); an error aborts
// the assignment.
func (o *On[T]) Set(attribute string, fn func(m *T, value, old any) (any, error)) {
	o.init()
	o.h.addAttr(attrHandler{kind: KindSet, attr: attribute, set: func(m, v, old any) (any, error) { return fn(m.(*T), v, old) }})
}

// Append registers fn for items added to the relation collection named
// attribute; fn returns the item to add.
func (o *On[T]) Append(attribute string, fn func(m *T, item any) (any, error)) {
	o.init()
	o.h.addAttr(attrHandler{kind: KindAppend, attr: attribute, item: func(m, it any) (any, error) { return fn(m.(*T), it) }})
}

// Remove registers fn for items removed from the relation collection named
// attribute (when a collection is replaced, for each item that leaves it).
func (o *On[T]) Remove(attribute string, fn func(m *T, item any) error) {
	o.init()
	o.h.addAttr(attrHandler{kind: KindRemove, attr: attribute, item: func(m, it any) (any, error) { return it, fn(m.(*T), it) }})
}

// InitScalar registers fn to give the initial value of attribute (a
// column) when record.New is not given one, like the original's
// on_init_scalar. Values given to New win; the result goes through the
// same conversion as a value in the map.
func (o *On[T]) InitScalar(attribute string, fn func(m *T) (any, error)) {
	o.init()
	o.h.addAttr(attrHandler{kind: KindInitScalar, attr: attribute, init: func(m any) (any, error) { return fn(m.(*T)) }})
}

// Modified registers fn to run after record.New, Base.Update or Base.Set
// set attribute (a column), with the new value in place. Go cannot see a
// plain field assignment, so u.Phone = "x" fires nothing.
func (o *On[T]) Modified(attribute string, fn func(m *T, attribute string)) {
	o.init()
	o.h.addAttr(attrHandler{kind: KindModified, attr: attribute, modified: func(m any, a string) { fn(m.(*T), a) }})
}

// addAttr records an attribute handler and indexes it under the name it was
// registered with, until Canonicalize re-keys it.
func (h *Handlers) addAttr(a attrHandler) {
	h.attrs = append(h.attrs, a)
	_ = h.Canonicalize(func(_ Kind, name string) (string, error) { return name, nil })
}

func (o *On[T]) add(k Kind, fn func(ctx context.Context, m *T) error) {
	o.init()
	o.h.model[k] = append(o.h.model[k], func(ctx context.Context, m any) error { return fn(ctx, m.(*T)) })
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

// AddInterfaceHooks appends a handler for every hook interface that the
// model pointer type implements (probe is a zero *T).
func (h *Handlers) AddInterfaceHooks(probe any) {
	add := func(k Kind, fn ModelFunc) { h.model[k] = append(h.model[k], fn) }
	if _, ok := probe.(BeforeSaver); ok {
		add(KindBeforeSave, func(ctx context.Context, m any) error { return m.(BeforeSaver).BeforeSave(ctx) })
	}
	if _, ok := probe.(BeforeInserter); ok {
		add(KindBeforeInsert, func(ctx context.Context, m any) error { return m.(BeforeInserter).BeforeInsert(ctx) })
	}
	if _, ok := probe.(BeforeUpdater); ok {
		add(KindBeforeUpdate, func(ctx context.Context, m any) error { return m.(BeforeUpdater).BeforeUpdate(ctx) })
	}
	if _, ok := probe.(BeforeDeleter); ok {
		add(KindBeforeDelete, func(ctx context.Context, m any) error { return m.(BeforeDeleter).BeforeDelete(ctx) })
	}
	if _, ok := probe.(AfterInserter); ok {
		add(KindAfterInsert, func(ctx context.Context, m any) error { return m.(AfterInserter).AfterInsert(ctx) })
	}
	if _, ok := probe.(AfterUpdater); ok {
		add(KindAfterUpdate, func(ctx context.Context, m any) error { return m.(AfterUpdater).AfterUpdate(ctx) })
	}
	if _, ok := probe.(AfterDeleter); ok {
		add(KindAfterDelete, func(ctx context.Context, m any) error { return m.(AfterDeleter).AfterDelete(ctx) })
	}
	if _, ok := probe.(AfterSaver); ok {
		add(KindAfterSave, func(ctx context.Context, m any) error { return m.(AfterSaver).AfterSave(ctx) })
	}
	if _, ok := probe.(AfterLoader); ok {
		add(KindLoad, func(ctx context.Context, m any) error { return m.(AfterLoader).AfterLoad(ctx) })
	}
}
