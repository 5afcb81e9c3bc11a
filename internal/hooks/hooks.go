package hooks

import (
	"context"
	"fmt"
	"reflect"
	"slices"
)

// Kind names a model event; package events names it and documents its
// values.
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
	kinds    uint64 // bit k set: model[k] has a handler (Empty and Has run on every write)
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
	return len(h.attrs) == 0 && h.kinds == 0
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
	return int(k) < len(h.model) && h.kinds&(1<<k) != 0
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

// addAttr records an attribute handler and indexes it under the name it was
// registered with, until Canonicalize re-keys it.
func (h *Handlers) addAttr(a attrHandler) {
	h.attrs = append(h.attrs, a)
	_ = h.Canonicalize(func(_ Kind, name string) (string, error) { return name, nil })
}

// AddSet registers a Set handler of attribute.
func (h *Handlers) AddSet(attribute string, fn SetFunc) {
	h.addAttr(attrHandler{kind: KindSet, attr: attribute, set: fn})
}

// AddAppend registers an Append handler of attribute.
func (h *Handlers) AddAppend(attribute string, fn ItemFunc) {
	h.addAttr(attrHandler{kind: KindAppend, attr: attribute, item: fn})
}

// AddRemove registers a Remove handler of attribute.
func (h *Handlers) AddRemove(attribute string, fn ItemFunc) {
	h.addAttr(attrHandler{kind: KindRemove, attr: attribute, item: fn})
}

// AddInit registers an InitScalar handler of attribute.
func (h *Handlers) AddInit(attribute string, fn InitFunc) {
	h.addAttr(attrHandler{kind: KindInitScalar, attr: attribute, init: fn})
}

// AddModified registers a Modified handler of attribute.
func (h *Handlers) AddModified(attribute string, fn ModifiedFunc) {
	h.addAttr(attrHandler{kind: KindModified, attr: attribute, modified: fn})
}

// AddModel registers a handler of the mapper kind k.
func (h *Handlers) AddModel(k Kind, fn ModelFunc) {
	h.model[k] = append(h.model[k], fn)
	h.kinds |= 1 << k
}

// The hook interfaces of package events, which this package cannot import;
// an interface is matched by its method set, so these are the same hooks.
type (
	beforeSaver interface {
		BeforeSave(ctx context.Context) error
	}
	afterSaver interface {
		AfterSave(ctx context.Context) error
	}
	beforeInserter interface {
		BeforeInsert(ctx context.Context) error
	}
	afterInserter interface {
		AfterInsert(ctx context.Context) error
	}
	beforeUpdater interface {
		BeforeUpdate(ctx context.Context) error
	}
	afterUpdater interface {
		AfterUpdate(ctx context.Context) error
	}
	beforeDeleter interface {
		BeforeDelete(ctx context.Context) error
	}
	afterDeleter interface {
		AfterDelete(ctx context.Context) error
	}
	afterLoader interface {
		AfterLoad(ctx context.Context) error
	}
)

// AddInterfaceHooks appends a handler for every hook interface that the
// model pointer type implements (probe is a zero *T).
func (h *Handlers) AddInterfaceHooks(probe any) {
	add := h.AddModel
	if _, ok := probe.(beforeSaver); ok {
		add(KindBeforeSave, func(ctx context.Context, m any) error { return m.(beforeSaver).BeforeSave(ctx) })
	}
	if _, ok := probe.(beforeInserter); ok {
		add(KindBeforeInsert, func(ctx context.Context, m any) error { return m.(beforeInserter).BeforeInsert(ctx) })
	}
	if _, ok := probe.(beforeUpdater); ok {
		add(KindBeforeUpdate, func(ctx context.Context, m any) error { return m.(beforeUpdater).BeforeUpdate(ctx) })
	}
	if _, ok := probe.(beforeDeleter); ok {
		add(KindBeforeDelete, func(ctx context.Context, m any) error { return m.(beforeDeleter).BeforeDelete(ctx) })
	}
	if _, ok := probe.(afterInserter); ok {
		add(KindAfterInsert, func(ctx context.Context, m any) error { return m.(afterInserter).AfterInsert(ctx) })
	}
	if _, ok := probe.(afterUpdater); ok {
		add(KindAfterUpdate, func(ctx context.Context, m any) error { return m.(afterUpdater).AfterUpdate(ctx) })
	}
	if _, ok := probe.(afterDeleter); ok {
		add(KindAfterDelete, func(ctx context.Context, m any) error { return m.(afterDeleter).AfterDelete(ctx) })
	}
	if _, ok := probe.(afterSaver); ok {
		add(KindAfterSave, func(ctx context.Context, m any) error { return m.(afterSaver).AfterSave(ctx) })
	}
	if _, ok := probe.(afterLoader); ok {
		add(KindLoad, func(ctx context.Context, m any) error { return m.(afterLoader).AfterLoad(ctx) })
	}
}

// onOf and collect are package events' hand-off (see SetOn): the registry
// reads what a model's Events method registered through them, without
// events exporting anything for it.
var (
	onOf    func(t reflect.Type) (model reflect.Type, ok bool)
	collect func(on any) *Handlers
)

// SetOn installs package events' hand-off; events calls it at init. of
// reports, for the parameter type of an Events method, the model type T
// when the parameter is exactly *events.On[T]; collected returns what was
// registered through such an On.
func SetOn(of func(reflect.Type) (reflect.Type, bool), collected func(on any) *Handlers) {
	onOf, collect = of, collected
}

// OnModel returns T when t is exactly *events.On[T]. It is false for
// anything else, and when package events is not in the program (then no
// parameter can be one of its types).
func OnModel(t reflect.Type) (model reflect.Type, ok bool) {
	if onOf == nil {
		return nil, false
	}
	return onOf(t)
}

// Collect returns what was registered through on, a *events.On[T] that
// OnModel accepted the type of.
func Collect(on any) *Handlers { return collect(on) }

// Handlers.kinds has a bit per kind.
var _ [64 - numKinds]struct{}
