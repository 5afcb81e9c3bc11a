package record

import (
	"context"
	"unsafe"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Insert writes the record as a new row and never touches an existing one:
// where Save upserts a record whose primary key is set (writing over the
// row with that key), Insert returns an error matching ErrDuplicateKey
// (a *ConstraintError naming the table and constraint) and writes nothing.
// An autoincrement key left zero is generated, as by Save.
//
// Hooks run as for a Save that inserts: BeforeSave, BeforeInsert, the
// INSERT, AfterInsert, AfterSave, in one transaction that any error rolls
// back. Relations that hold records are saved with it as by Save (related
// records are saved, that is upserted; only this record's own row is
// insert-only).
func (b *Base[T]) Insert(ctx context.Context) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	if len(m.Relations) > 0 && inGraph(m, unsafe.Pointer(p)) {
		return saveGraphRoot(ctx, m, unsafe.Pointer(p), func(ctx context.Context) error {
			return insertRow(ctx, m, p)
		})
	}
	return insertRow(ctx, m, p)
}

var insertKinds = []events.Kind{events.KindBeforeSave, events.KindBeforeInsert, events.KindAfterInsert, events.KindAfterSave}

// insertRow inserts the record's own row with its insert hooks.
func insertRow[T any](ctx context.Context, m *registry.Model, p *T) error {
	c, s, err := resolve(ctx)
	if err != nil {
		return err
	}
	b := baseOf(m, p)
	if !hasWriteHooks(ctx, m, insertKinds...) {
		return insert(ctx, c, s, m, p, b, false)
	}
	return inTx(ctx, c, func(ctx context.Context) error {
		s := session.Current(ctx) // the transaction's
		if err := fire(ctx, m, p, events.KindBeforeSave, events.KindBeforeInsert); err != nil {
			return err
		}
		if err := insert(ctx, c, s, m, p, b, false); err != nil {
			return err
		}
		return fire(ctx, m, p, events.KindAfterInsert, events.KindAfterSave)
	})
}
