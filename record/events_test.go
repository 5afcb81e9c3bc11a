package record_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Contact has a handler of every kind; each appends to Trace, and Fail
// makes the handler of that name return an error.
type Contact struct {
	record.Base[Contact]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name,size=100"`
	Phone string `db:"phone,size=20"`
	Tier  string `db:"tier,size=10"`

	Trace []string `db:"-"`
	Fail  string   `db:"-"`
	Audit bool     `db:"-"` // write an Audit row from AfterSave
}

// Audit is written by Contact's hooks inside the write's transaction.
type Audit struct {
	record.Base[Audit]
	ID      int64  `db:"id,pk,autoincrement"`
	Message string `db:"message"`
}

var digits = regexp.MustCompile(`[^0-9]`)

func (c *Contact) step(ctx context.Context, name string) error {
	c.Trace = append(c.Trace, name)
	if c.Fail == name {
		return fmt.Errorf("%s refused", name)
	}
	return nil
}

func (Contact) Events(on *events.On[Contact]) {
	on.Set("phone", func(c *Contact, value, old any) (any, error) {
		s, ok := value.(string)
		if !ok {
			return nil, errors.New("phone must be a string")
		}
		return digits.ReplaceAllString(s, ""), nil
	})
	on.InitScalar("tier", func(*Contact) (any, error) { return "basic", nil })
	on.Modified("name", func(c *Contact, attr string) { c.Trace = append(c.Trace, "Modified:"+attr) })
	hook := func(name string) func(ctx context.Context, c *Contact) error {
		return func(ctx context.Context, c *Contact) error { return c.step(ctx, name) }
	}
	on.BeforeSave(hook("BeforeSave"))
	on.BeforeSave(hook("BeforeSave2"))
	on.BeforeInsert(hook("BeforeInsert"))
	on.BeforeUpdate(hook("BeforeUpdate"))
	on.BeforeDelete(hook("BeforeDelete"))
	on.AfterInsert(func(ctx context.Context, c *Contact) error {
		if c.ID == 0 {
			return errors.New("AfterInsert ran before the INSERT")
		}
		return c.step(ctx, "AfterInsert")
	})
	on.AfterUpdate(hook("AfterUpdate"))
	on.AfterDelete(hook("AfterDelete"))
	on.AfterSave(func(ctx context.Context, c *Contact) error {
		if c.Audit {
			if err := (&Audit{Message: "saved " + c.Name}).Save(ctx); err != nil {
				return err
			}
		}
		return c.step(ctx, "AfterSave")
	})
	on.Load(hook("Load"))
	on.Refresh(hook("Refresh"))
}

// BeforeSave is an interface hook: it runs after the On handlers of its kind.
func (c *Contact) BeforeSave(ctx context.Context) error { return c.step(ctx, "BeforeSave(method)") }

// AfterLoad is an interface hook for KindLoad.
func (c *Contact) AfterLoad(ctx context.Context) error { return c.step(ctx, "AfterLoad(method)") }

var eventModels = []any{Contact{}, Audit{}}

func eachEvents(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: eventModels}, func(t *testing.T, db *dbtest.DB) { fn(t, db, db.Ctx()) })
}

func TestEventOrder(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		c := &Contact{Name: "Ann"}
		require.NoError(t, c.Save(ctx))
		assert.Equal(t, []string{"BeforeSave", "BeforeSave2", "BeforeSave(method)", "BeforeInsert", "AfterInsert", "AfterSave"}, c.Trace)

		c.Trace, c.Name = nil, "Anne"
		require.NoError(t, c.Save(ctx))
		assert.Equal(t, []string{"BeforeSave", "BeforeSave2", "BeforeSave(method)", "BeforeUpdate", "AfterUpdate", "AfterSave"}, c.Trace)

		got, err := record.Get[Contact](ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"Load", "AfterLoad(method)"}, got.Trace)

		got.Trace = nil
		require.NoError(t, got.Destroy(ctx))
		assert.Equal(t, []string{"BeforeDelete", "AfterDelete"}, got.Trace)
	})
}

func TestAttributeEvents(t *testing.T) {
	c, err := record.New[Contact](map[string]any{"name": "Bo", "phone": "+1 (555) 867-5309"})
	require.NoError(t, err)
	assert.Equal(t, "15558675309", c.Phone, "Set handlers transform the value")
	assert.Equal(t, "basic", c.Tier, "InitScalar fills what New was not given")
	assert.Equal(t, []string{"Modified:name"}, c.Trace)

	require.NoError(t, c.Update(map[string]any{"phone": "555.0100"}))
	assert.Equal(t, "5550100", c.Phone)
	require.NoError(t, c.Set("Phone", "555-0199"))
	assert.Equal(t, "5550199", c.Phone)

	err = c.Update(map[string]any{"name": "changed", "phone": 42})
	require.Error(t, err)
	assert.Equal(t, "Bo", c.Name, "a Set handler's error leaves the record unchanged")

	given, err := record.New[Contact](map[string]any{"tier": "gold"})
	require.NoError(t, err)
	assert.Equal(t, "gold", given.Tier, "a value given to New wins over InitScalar")

	c.Phone = "not normalised" // Go cannot intercept a plain assignment
	assert.Equal(t, "not normalised", c.Phone)
}

func TestBeforeHookErrorAbortsTheWrite(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for _, failing := range []string{"BeforeSave", "BeforeSave(method)", "BeforeInsert"} {
			c := &Contact{Name: "x", Fail: failing}
			err := c.Save(ctx)
			require.Error(t, err, failing)
			assert.ErrorContains(t, err, failing+" refused")
			var he *events.HandlerError
			assert.ErrorAs(t, err, &he)
			assert.True(t, c.IsNew())
			assert.Zero(t, c.ID)
		}
		assert.Zero(t, count[Contact](t, ctx))

		c := &Contact{Name: "y"}
		require.NoError(t, c.Save(ctx))
		c.Name, c.Fail = "y2", "BeforeUpdate"
		require.Error(t, c.Save(ctx))
		got, err := record.Get[Contact](ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, "y", got.Name)

		got.Fail = "BeforeDelete"
		require.Error(t, got.Destroy(ctx))
		assert.EqualValues(t, 1, count[Contact](t, ctx))
	})
}

func TestAfterHookErrorRollsBackTheRowAndWhatHooksWrote(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		c := &Contact{Name: "z", Audit: true, Fail: "AfterSave"}
		err := c.Save(ctx)
		require.ErrorContains(t, err, "AfterSave refused")
		assert.Zero(t, count[Contact](t, ctx), "the row is rolled back")
		assert.Zero(t, count[Audit](t, ctx), "so is what the hook wrote in the same transaction")
		assert.True(t, c.IsNew(), "the record is new again")
		assert.Zero(t, c.ID, "its generated key is cleared so that a retry inserts")

		c.Fail = ""
		require.NoError(t, c.Save(ctx))
		assert.EqualValues(t, 1, count[Contact](t, ctx))
		assert.EqualValues(t, 1, count[Audit](t, ctx))

		c.Name, c.Fail = "z2", "AfterUpdate"
		require.Error(t, c.Save(ctx))
		assert.Equal(t, []string{"name"}, c.Changed(), "a rolled-back update is still pending")
		got, err := record.Get[Contact](ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, "z", got.Name)

		got.Fail = "AfterDelete"
		require.Error(t, got.Destroy(ctx))
		assert.False(t, got.IsNew(), "a rolled-back delete leaves the record saved")
		assert.EqualValues(t, 1, count[Contact](t, ctx))
	})
}

func TestHookErrorInsideTransactionDoomsIt(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Contact{Name: "kept?", Audit: true}).Save(ctx))
			_ = (&Contact{Name: "bad", Fail: "AfterInsert"}).Save(ctx) // error swallowed
			return nil
		})
		assert.ErrorIs(t, err, session.ErrRolledBack)
		assert.Zero(t, count[Contact](t, ctx))
		assert.Zero(t, count[Audit](t, ctx))
	})
}

func TestHooksSeeTheirTransaction(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		c := &Contact{Name: "audited", Audit: true}
		require.NoError(t, c.Save(ctx))
		a, err := record.FindOne[Audit](ctx, builder.Eq{"message": "saved audited"})
		require.NoError(t, err)
		assert.NotZero(t, a.ID)
		var begins int
		for _, s := range db.Log() {
			if s == "BEGIN" {
				begins++
			}
		}
		assert.Equal(t, 1, begins, "the row and the audit row share one transaction")
	})
}

func TestRefreshAndSkipHooks(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		c := &Contact{Name: "r"}
		require.NoError(t, c.Save(ctx))
		other, err := record.Get[Contact](ctx, c.ID)
		require.NoError(t, err)
		other.Name = "r2"
		require.NoError(t, other.Save(ctx))

		c.Trace = nil
		require.NoError(t, c.Refresh(ctx))
		assert.Equal(t, "r2", c.Name)
		assert.Equal(t, []string{"Refresh"}, c.Trace)
		assert.Empty(t, c.Changed())
		require.NoError(t, other.Destroy(ctx))
		assert.ErrorIs(t, c.Refresh(ctx), record.ErrNotFound)

		quiet := record.SkipHooks(ctx)
		s := &Contact{Name: "quiet", Fail: "BeforeSave"}
		require.NoError(t, s.Save(quiet), "SkipHooks runs no handler, not even a failing one")
		assert.Empty(t, s.Trace)
		got, err := record.Get[Contact](quiet, s.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Trace)
		var begins int
		for _, l := range db.Log() {
			if strings.HasPrefix(l, "BEGIN") {
				begins++
			}
		}
		assert.Equal(t, 3, begins, "writes without hooks need no transaction of their own")
	})
}

func TestDestroyManyRunsDeleteHooks(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		var ids []any
		for i := range 3 {
			c := &Contact{Name: fmt.Sprint("d", i)}
			require.NoError(t, c.Save(ctx))
			ids = append(ids, c.ID)
		}
		n, err := record.Destroy[Contact](ctx, append(ids, int64(99999)))
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		assert.Zero(t, count[Contact](t, ctx))
	})
}

// Squad and Player check mapper hooks during a nested save: the children's
// hooks run inside the parent's transaction, and a child's refusal rolls
// the parent back too.
type Squad struct {
	record.Base[Squad]
	ID      int64     `db:"id,pk,autoincrement"`
	Name    string    `db:"name,size=50"`
	Players []*Player `rel:"cascade"`
	Trace   []string  `db:"-"`
}

type Player struct {
	record.Base[Player]
	ID      int64  `db:"id,pk,autoincrement"`
	SquadID int64  `db:"squad_id,fk=squad.id"`
	Name    string `db:"name,size=50"`
}

var playerTrace []string

func (s *Squad) BeforeInsert(context.Context) error {
	playerTrace = append(playerTrace, "squad before insert")
	return nil
}

func (s *Squad) AfterSave(context.Context) error {
	playerTrace = append(playerTrace, "squad after save")
	return nil
}

func (p *Player) BeforeInsert(ctx context.Context) error {
	if session.Current(ctx) == nil || !session.Current(ctx).InTransaction() {
		return errors.New("a child's hook must run inside the parent's transaction")
	}
	if p.SquadID == 0 {
		return errors.New("the child's foreign key is set before its hooks run")
	}
	playerTrace = append(playerTrace, "player before insert "+p.Name)
	if p.Name == "bad" {
		return errors.New("bad player")
	}
	return nil
}

func TestHooksDuringNestedSaves(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Squad{}, Player{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		playerTrace = nil
		s, err := record.New[Squad](map[string]any{"name": "a", "players": []map[string]any{{"name": "x"}, {"name": "y"}}})
		require.NoError(t, err)
		require.NoError(t, s.Save(ctx))
		// As in the original's unit of work, a record's hooks surround its
		// own row; the rows of its children are written after them.
		assert.Equal(t, []string{"squad before insert", "squad after save", "player before insert x", "player before insert y"}, playerTrace)
		assert.EqualValues(t, 2, count[Player](t, ctx))

		playerTrace = nil
		bad, err := record.New[Squad](map[string]any{"name": "b", "players": []map[string]any{{"name": "ok"}, {"name": "bad"}}})
		require.NoError(t, err)
		err = bad.Save(ctx)
		require.ErrorContains(t, err, "bad player")
		assert.EqualValues(t, 1, count[Squad](t, ctx), "the parent is rolled back with its child")
		assert.EqualValues(t, 2, count[Player](t, ctx))
		assert.True(t, bad.IsNew())
		assert.Zero(t, bad.ID, "the parent's generated key is cleared")
		assert.Zero(t, bad.Players[0].ID, "so is the saved child's")
	})
}
