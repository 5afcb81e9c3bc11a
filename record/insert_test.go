package record_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Ticket is written with Insert; its hooks leave a trace and can fail.
type Ticket struct {
	record.Base[Ticket]
	ID    int64  `db:"id,pk,autoincrement"`
	Title string `db:"title,size=50"`
	Notes []TicketNote
	Trace []string `db:"-"`
	Fail  string   `db:"-"`
}

// TicketNote is a has-many child of Ticket.
type TicketNote struct {
	record.Base[TicketNote]
	ID       int64  `db:"id,pk,autoincrement"`
	TicketID int64  `db:"ticket_id,fk=ticket.id"`
	Text     string `db:"text,size=50"`
}

func (t *Ticket) hook(name string) error {
	t.Trace = append(t.Trace, name)
	if t.Fail == name {
		return errors.New(name + " refused")
	}
	return nil
}

func (t *Ticket) BeforeSave(context.Context) error   { return t.hook("BeforeSave") }
func (t *Ticket) BeforeInsert(context.Context) error { return t.hook("BeforeInsert") }
func (t *Ticket) BeforeUpdate(context.Context) error { return t.hook("BeforeUpdate") }
func (t *Ticket) AfterInsert(context.Context) error  { return t.hook("AfterInsert") }
func (t *Ticket) AfterUpdate(context.Context) error  { return t.hook("AfterUpdate") }
func (t *Ticket) AfterSave(context.Context) error    { return t.hook("AfterSave") }

// TicketWatch is a row of its key alone (a composite key), with hooks.
type TicketWatch struct {
	record.Base[TicketWatch]
	TicketID int64    `db:"ticket_id,pk=1"`
	UserID   int64    `db:"user_id,pk=2"`
	Trace    []string `db:"-"`
}

func (w *TicketWatch) BeforeInsert(context.Context) error {
	w.Trace = append(w.Trace, "BeforeInsert")
	return nil
}

func (w *TicketWatch) BeforeUpdate(context.Context) error {
	w.Trace = append(w.Trace, "BeforeUpdate")
	return nil
}

// Plain has no hooks: Insert is one statement.
type Plain struct {
	record.Base[Plain]
	Code string `db:"code,pk,size=10"`
	Name string `db:"name,size=20"`
}

func TestInsert(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Ticket{}, TicketNote{}, TicketWatch{}, Plain{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		t.Run("a new record is inserted with the insert hooks and a generated key", func(t *testing.T) {
			tk := &Ticket{Title: "first"}
			require.NoError(t, tk.Insert(ctx))
			assert.NotZero(t, tk.ID)
			assert.False(t, tk.IsNew())
			assert.Equal(t, []string{"BeforeSave", "BeforeInsert", "AfterInsert", "AfterSave"}, tk.Trace)
		})
		t.Run("an existing key is ErrDuplicateKey and the row is left as it was", func(t *testing.T) {
			first, err := record.FindOne[Ticket](ctx, builder.Eq{"title": "first"})
			require.NoError(t, err)
			dup := &Ticket{ID: first.ID, Title: "overwritten?"}
			err = dup.Insert(ctx)
			require.ErrorIs(t, err, record.ErrDuplicateKey)
			var ce *record.ConstraintError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "ticket", ce.Table)
			assert.Equal(t, []string{"BeforeSave", "BeforeInsert"}, dup.Trace, "no after hooks")
			assert.True(t, dup.IsNew())
			got, err := record.Get[Ticket](ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, "first", got.Title)
		})
		t.Run("Save of the same record overwrites: Save upserts when the key is set", func(t *testing.T) {
			first, err := record.FindOne[Ticket](ctx, builder.Eq{"title": "first"})
			require.NoError(t, err)
			up := &Ticket{ID: first.ID, Title: "merged"}
			require.NoError(t, up.Save(ctx))
			assert.Equal(t, []string{"BeforeSave", "BeforeUpdate", "AfterUpdate", "AfterSave"}, up.Trace)
			got, err := record.Get[Ticket](ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, "merged", got.Title)
		})
		t.Run("a loaded record inserted again is a duplicate", func(t *testing.T) {
			got, err := record.FindOne[Ticket](ctx, builder.Eq{"title": "merged"})
			require.NoError(t, err)
			assert.ErrorIs(t, got.Insert(ctx), record.ErrDuplicateKey)
		})
		t.Run("a failing hook aborts the insert", func(t *testing.T) {
			tk := &Ticket{Title: "refused", Fail: "AfterInsert"}
			require.ErrorContains(t, tk.Insert(ctx), "AfterInsert refused")
			n, err := record.Query[Ticket](ctx).Where(builder.Eq{"title": "refused"}).Count()
			require.NoError(t, err)
			assert.Zero(t, n)
		})
		t.Run("relations are saved with the inserted row", func(t *testing.T) {
			tk := &Ticket{Title: "with notes", Notes: []TicketNote{{Text: "a"}, {Text: "b"}}}
			require.NoError(t, tk.Insert(ctx))
			n, err := record.Query[TicketNote](ctx).Where(builder.Eq{"ticket_id": tk.ID}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
			again := &Ticket{ID: tk.ID, Title: "again", Notes: []TicketNote{{Text: "c"}}}
			require.ErrorIs(t, again.Insert(ctx), record.ErrDuplicateKey)
			n, err = record.Query[TicketNote](ctx).Where(builder.Eq{"ticket_id": tk.ID}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n, "nothing of the refused graph was written")
		})
		t.Run("without hooks Insert is one INSERT", func(t *testing.T) {
			require.NoError(t, (&Plain{Code: "a", Name: "A"}).Insert(ctx))
			before := db.Statements()
			err := (&Plain{Code: "a", Name: "B"}).Insert(ctx)
			assert.ErrorIs(t, err, record.ErrDuplicateKey)
			assert.EqualValues(t, 1, db.Statements()-before)
			got, err := record.Get[Plain](ctx, "a")
			require.NoError(t, err)
			assert.Equal(t, "A", got.Name)
		})
		t.Run("Save of an existing key-only row succeeds as an update, Insert says it exists", func(t *testing.T) {
			w := &TicketWatch{TicketID: 1, UserID: 2}
			require.NoError(t, w.Save(ctx))
			assert.Equal(t, []string{"BeforeInsert"}, w.Trace)
			again := &TicketWatch{TicketID: 1, UserID: 2}
			require.NoError(t, again.Save(ctx), "the row Save promises exists")
			assert.Equal(t, []string{"BeforeUpdate"}, again.Trace, "the hooks say the row was there")
			assert.False(t, again.IsNew())
			third := &TicketWatch{TicketID: 1, UserID: 2}
			assert.ErrorIs(t, third.Insert(ctx), record.ErrDuplicateKey)
			n, err := record.Query[TicketWatch](ctx).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
		})
	})
}
