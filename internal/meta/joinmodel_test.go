package meta_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

// Three copies of one schema — a playlist, a track, and a join model with
// a column of its own — registered in three orders. Every type is
// registered once per process, so each order has types of its own.
type (
	JoinFirstList struct {
		record.Base[JoinFirstList]
		ID     int64             `db:"id,pk"`
		Tracks []*JoinFirstTrack `rel:"m2m=JoinFirstEntry"` // the join model's Go name
	}
	JoinFirstTrack struct {
		record.Base[JoinFirstTrack]
		ID    int32            `db:"id,pk"`
		Lists []*JoinFirstList `rel:"m2m=join_first_entry"` // its table
	}
	JoinFirstEntry struct {
		record.Base[JoinFirstEntry]
		ListID  int64 `db:"list_id,pk=1,fk=join_first_list.id"`
		TrackID int32 `db:"track_id,pk=2,fk=join_first_track.id"`
		AddedAt time.Time
	}

	OwnerFirstList struct {
		record.Base[OwnerFirstList]
		ID     int64              `db:"id,pk"`
		Tracks []*OwnerFirstTrack `rel:"m2m=OwnerFirstEntry"`
	}
	OwnerFirstTrack struct {
		record.Base[OwnerFirstTrack]
		ID    int32             `db:"id,pk"`
		Lists []*OwnerFirstList `rel:"m2m=OwnerFirstEntry"`
	}
	// OwnerFirstEntry is found by naming: owner_first_list_id and
	// owner_first_track_id; its table differs from the m2m= name.
	OwnerFirstEntry struct {
		record.Base[OwnerFirstEntry]
		ID                int64 `db:"id,pk,autoincrement"` // a surrogate key works too
		OwnerFirstListID  int64
		OwnerFirstTrackID int32
		Position          int
	}

	// The table name itself: the registry synthesizes a join table for it
	// until the model comes, then hands the table over.
	TableFirstList struct {
		record.Base[TableFirstList]
		ID     int64              `db:"id,pk"`
		Tracks []*TableFirstTrack `rel:"m2m=TableFirstEntry"`
	}
	TableFirstTrack struct {
		record.Base[TableFirstTrack]
		ID int32 `db:"id,pk"`
	}
	TableFirstEntry struct {
		record.Base[TableFirstEntry]
		TableFirstListID  int64 `db:",pk=1"`
		TableFirstTrackID int32 `db:",pk=2"`
		Note              string
	}

	AllAtOnceList struct {
		record.Base[AllAtOnceList]
		ID     int64             `db:"id,pk"`
		Tracks []*AllAtOnceTrack `rel:"m2m=AllAtOnceEntry"`
	}
	AllAtOnceTrack struct {
		record.Base[AllAtOnceTrack]
		ID int32 `db:"id,pk"`
	}
	AllAtOnceEntry struct {
		record.Base[AllAtOnceEntry]
		AllAtOnceListID  int64 `db:",pk=1"`
		AllAtOnceTrackID int32 `db:",pk=2"`
		Track            *AllAtOnceTrack
	}
)

func (TableFirstEntry) Naming() meta.Naming { return meta.PascalNaming }
func (TableFirstEntry) TableName() string   { return "TableFirstEntry" }

// checkThrough asserts that relation field of owner goes through join,
// linking fk to the owner's key and ref to the related key.
func checkThrough(t *testing.T, owner *meta.Model, field string, join *meta.Model, fk, ref string) {
	t.Helper()
	r, ok := owner.Relation(field)
	require.True(t, ok)
	require.Equal(t, meta.ManyToMany, r.Kind)
	th := r.Through()
	require.NotNil(t, th)
	assert.Same(t, join, th.Join, "%s goes through the registered model", r)
	assert.Equal(t, fk, th.FK.Name)
	assert.Equal(t, ref, th.JoinRef.Name)
	assert.Same(t, th.Join, mustColumnOwner(t, join, fk))
	assert.Same(t, owner.PK[0], r.Ref)
	assert.Same(t, r.Related.PK[0], r.RelatedRef)
}

func mustColumnOwner(t *testing.T, m *meta.Model, col string) *meta.Model {
	t.Helper()
	_, ok := m.Column(col)
	require.True(t, ok, "%s has column %s", m.Name, col)
	return m
}

func TestManyToManyThroughJoinModelInAnyOrder(t *testing.T) {
	t.Run("join model registered first, named by Go name and by table", func(t *testing.T) {
		require.NoError(t, meta.Register(JoinFirstEntry{}))
		require.NoError(t, meta.Register(JoinFirstList{}))
		list, _ := meta.Of[JoinFirstList]()
		track, _ := meta.Of[JoinFirstTrack]()
		entry, _ := meta.Of[JoinFirstEntry]()
		checkThrough(t, list, "Tracks", entry, "list_id", "track_id")
		checkThrough(t, track, "Lists", entry, "track_id", "list_id")
		tracks, _ := list.Relation("Tracks")
		lists, _ := track.Relation("Lists")
		assert.Same(t, lists, tracks.Inverse)
		assert.Empty(t, meta.JoinModels([]*meta.Model{list, track}), "no join table is synthesized")
	})

	t.Run("owner registered first: the model registered later takes over", func(t *testing.T) {
		_, again := meta.ByTable("owner_first_list") // under -count=2
		require.NoError(t, meta.Register(OwnerFirstList{}))
		list, _ := meta.Of[OwnerFirstList]()
		track, _ := meta.Of[OwnerFirstTrack]()
		before, _ := list.Relation("Tracks")
		synth := before.Through().Join
		if !again {
			require.True(t, synth.IsJoin(), "until the model is registered, a join table stands in")
			_, ok := meta.ByTable("OwnerFirstEntry")
			require.True(t, ok)
			got, ok := meta.Registered(synth.Type)
			require.True(t, ok, "the stand-in is found by its type")
			require.Same(t, synth, got)
		}

		require.NoError(t, meta.Register(OwnerFirstEntry{}))
		entry, _ := meta.Of[OwnerFirstEntry]()
		assert.Equal(t, "owner_first_entry", entry.Table)
		checkThrough(t, list, "Tracks", entry, "owner_first_list_id", "owner_first_track_id")
		checkThrough(t, track, "Lists", entry, "owner_first_track_id", "owner_first_list_id")
		_, ok := meta.ByTable("OwnerFirstEntry")
		assert.False(t, ok, "the stand-in join table is gone")
		if !again {
			assert.NotContains(t, meta.Models(), synth)
			_, ok := meta.Registered(synth.Type)
			assert.False(t, ok, "the stand-in is not found by its type any more")
		}
		got, ok := meta.Registered(reflect.TypeFor[OwnerFirstEntry]())
		assert.True(t, ok)
		assert.Same(t, entry, got)
		assert.Empty(t, meta.JoinModels([]*meta.Model{list, track}))
	})

	t.Run("owner registered first, m2m names the model's table", func(t *testing.T) {
		require.NoError(t, meta.Register(TableFirstList{}))
		list, _ := meta.Of[TableFirstList]()
		require.NoError(t, meta.Register(TableFirstEntry{}))
		entry, _ := meta.Of[TableFirstEntry]()
		checkThrough(t, list, "Tracks", entry, "TableFirstListId", "TableFirstTrackId")
		got, ok := meta.ByTable("TableFirstEntry")
		require.True(t, ok)
		assert.Same(t, entry, got, "the table is the model's now")
	})

	t.Run("all in one call, join model last", func(t *testing.T) {
		require.NoError(t, meta.Register(AllAtOnceList{}, AllAtOnceTrack{}, AllAtOnceEntry{}))
		list, _ := meta.Of[AllAtOnceList]()
		entry, _ := meta.Of[AllAtOnceEntry]()
		checkThrough(t, list, "Tracks", entry, "all_at_once_list_id", "all_at_once_track_id")
		tr, _ := entry.Relation("Track")
		assert.Equal(t, meta.BelongsTo, tr.Kind, "the join model's own relations work as usual")
	})
}

type (
	BadJoinSide struct {
		record.Base[BadJoinSide]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=BadJoinNoOwner"`
	}
	BadJoinOther struct {
		record.Base[BadJoinOther]
		ID int64 `db:"id,pk"`
	}
	BadJoinNoOwner struct {
		record.Base[BadJoinNoOwner]
		SomethingID    int64 `db:",pk=1"`
		BadJoinOtherID int64 `db:",pk=2"`
	}

	BadJoinTwice struct {
		record.Base[BadJoinTwice]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=BadJoinTwiceRow"`
	}
	BadJoinTwiceRow struct {
		record.Base[BadJoinTwiceRow]
		BadJoinTwiceID int64 `db:",pk=1"`
		OtherA         int64 `db:",pk=2,fk=bad_join_other.id"`
		OtherB         int64 `db:",fk=bad_join_other.id"`
	}

	BadJoinNamed struct {
		record.Base[BadJoinNamed]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=BadJoinNamedRow,fk=nope"`
	}
	BadJoinNamedRow struct {
		record.Base[BadJoinNamedRow]
		BadJoinNamedID int64 `db:",pk=1"`
		BadJoinOtherID int64 `db:",pk=2"`
	}

	BadJoinTypes struct {
		record.Base[BadJoinTypes]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=BadJoinTypesRow"`
	}
	BadJoinTypesRow struct {
		record.Base[BadJoinTypesRow]
		BadJoinTypesID string `db:",pk=1"`
		BadJoinOtherID int64  `db:",pk=2"`
	}

	BadJoinNoBase struct {
		record.Base[BadJoinNoBase]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=BadJoinNoBaseRow"`
	}
	BadJoinNoBaseRow struct { // a plain struct: the registry maps it, record cannot write it
		BadJoinNoBaseID int64 `db:",pk=1"`
		BadJoinOtherID  int64 `db:",pk=2"`
	}

	// Registered before its join model, which then turns out not to link
	// the owner: the join model's registration fails and names the relation.
	LateBadList struct {
		record.Base[LateBadList]
		ID    int64           `db:"id,pk"`
		Items []*BadJoinOther `rel:"m2m=LateBadEntry"`
	}
	LateBadEntry struct {
		record.Base[LateBadEntry]
		ListID         int64 `db:",pk=1"` // not late_bad_list_id, no fk=
		BadJoinOtherID int64 `db:",pk=2"`
	}
)

func TestJoinModelErrors(t *testing.T) {
	cases := []struct {
		name   string
		models []any
		model  string // the model the error names
		field  string
		msg    string
	}{
		{"no column links the owner", []any{BadJoinNoOwner{}, BadJoinSide{}}, "BadJoinSide", "Items",
			"m2m=BadJoinNoOwner: join model BadJoinNoOwner has no column linking it to BadJoinSide: give BadJoinNoOwner a column bad_join_side_id (or one tagged fk=bad_join_side.<column>), or name it with rel:\"m2m=BadJoinNoOwner,fk=<column>\""},
		{"two columns link the related model", []any{BadJoinTwice{}, BadJoinTwiceRow{}}, "BadJoinTwice", "Items",
			"join model BadJoinTwiceRow has several columns linking it to BadJoinOther (other_a, other_b): name one with rel:\"m2m=BadJoinTwiceRow,ref=<column>\""},
		{"fk= names no column", []any{BadJoinNamed{}, BadJoinNamedRow{}}, "BadJoinNamed", "Items",
			`fk=nope: join model BadJoinNamedRow has no column "nope"`},
		{"join model without record.Base", []any{BadJoinNoBaseRow{}, BadJoinNoBase{}}, "BadJoinNoBase", "Items",
			"m2m=BadJoinNoBaseRow: join model BadJoinNoBaseRow must embed record.Base[BadJoinNoBaseRow]"},
		{"incompatible key", []any{BadJoinTypes{}, BadJoinTypesRow{}}, "BadJoinTypes", "Items",
			"join column bad_join_types_row.bad_join_types_id (string) cannot hold values of bad_join_types.id (int64)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := meta.Register(tc.models...)
			require.Error(t, err)
			assert.ErrorIs(t, err, meta.ErrRelation)
			var me *meta.ModelError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tc.model, me.Model)
			assert.Equal(t, tc.field, me.Field)
			assert.Contains(t, err.Error(), tc.msg)
			for _, m := range tc.models {
				_, ok := meta.ByTable(meta.SnakeCase(reflect.TypeOf(m).Name()))
				assert.False(t, ok, "nothing of a failed registration is registered")
			}
		})
	}

	t.Run("a join model registered later that does not link both sides", func(t *testing.T) {
		require.NoError(t, meta.Register(LateBadList{})) // a no-op under -count=2: the relation still has its join table
		err := meta.Register(LateBadEntry{})
		require.Error(t, err)
		assert.ErrorIs(t, err, meta.ErrRelation)
		assert.Contains(t, err.Error(), "registry: model LateBadEntry: it is the join model of LateBadList.Items (rel:\"m2m=LateBadEntry\"), registered before it: join model LateBadEntry has no column linking it to LateBadList")
		_, ok := meta.ByTable("late_bad_entry")
		assert.False(t, ok)
		list, _ := meta.Of[LateBadList]()
		r, _ := list.Relation("Items")
		assert.True(t, r.Through().Join.IsJoin(), "the relation keeps its join table")
	})
}

type (
	RaceList struct {
		record.Base[RaceList]
		ID     int64        `db:"id,pk"`
		Tracks []*RaceTrack `rel:"m2m=RaceEntry"`
	}
	RaceTrack struct {
		record.Base[RaceTrack]
		ID int64 `db:"id,pk"`
	}
	RaceEntry struct {
		record.Base[RaceEntry]
		RaceListID  int64 `db:",pk=1"`
		RaceTrackID int64 `db:",pk=2"`
	}
)

// Relations are read without the registry's lock while a join model takes
// a join table over: under -race, readers see one join or the other, whole.
func TestJoinAdoptionWhileRead(t *testing.T) {
	require.NoError(t, meta.Register(RaceList{}))
	list, _ := meta.Of[RaceList]()
	r, _ := list.Relation("Tracks")
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				th := r.Through()
				if _, ok := th.Join.Column(th.FK.Name); !ok {
					panic("a join without its column")
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	require.NoError(t, meta.Register(RaceEntry{}))
	close(done)
	wg.Wait()
	assert.Equal(t, "race_entry", r.Through().Join.Table)
	assert.False(t, r.Through().Join.IsJoin())
}
