package record_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// A many-to-many relation through a join model that is a model of its own:
// MixEntry is the row linking a playlist and a track, with a position and
// the time it was added, and hooks.
type (
	MixPlaylist struct {
		record.Base[MixPlaylist]
		ID      int64       `db:"id,pk,autoincrement"`
		Name    string      `db:"name,size=40"`
		Tracks  []*MixTrack `rel:"m2m=MixEntry"` // by the join model's Go name
		Entries []*MixEntry // the join rows themselves
	}
	MixTrack struct {
		record.Base[MixTrack]
		ID        int64          `db:"id,pk,autoincrement"`
		Title     string         `db:"title,size=40"`
		Playlists []*MixPlaylist `rel:"m2m=mix_entry"` // by its table
	}
	MixEntry struct {
		record.Base[MixEntry]
		MixPlaylistID int64     `db:"mix_playlist_id,pk=1,fk=mix_playlist.id"`
		MixTrackID    int64     `db:"mix_track_id,pk=2,fk=mix_track.id"`
		Position      int       `db:"position"`
		AddedAt       time.Time `db:"added_at"`
		Track         *MixTrack
	}
)

// Counters of the join model's hooks, reset by each subtest.
var mixInserts, mixDeletes atomic.Int64

// BeforeInsert stamps a new link, as an application's hook would.
func (e *MixEntry) BeforeInsert(ctx context.Context) error {
	n := mixInserts.Add(1)
	if e.AddedAt.IsZero() {
		e.AddedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	}
	if e.Position == 0 {
		e.Position = int(100 + n)
	}
	return nil
}

func (e *MixEntry) BeforeDelete(ctx context.Context) error {
	mixDeletes.Add(1)
	return nil
}

// mixLink is one join row as raw SQL reads it.
type mixLink struct {
	Track    int64
	Position int
}

// mixLinks reads the join rows of a playlist with plain SQL, by track.
func mixLinks(t *testing.T, db *dbtest.DB, playlist int64) []mixLink {
	t.Helper()
	rows, err := db.DB().Query(builder.Rebind(db.Client.Dialect(),
		`SELECT mix_track_id, position FROM mix_entry WHERE mix_playlist_id = ? ORDER BY mix_track_id`), playlist)
	require.NoError(t, err)
	defer rows.Close()
	var out []mixLink
	for rows.Next() {
		var l mixLink
		require.NoError(t, rows.Scan(&l.Track, &l.Position))
		out = append(out, l)
	}
	require.NoError(t, rows.Err())
	return out
}

func titles(ts []*MixTrack) []string {
	out := make([]string, len(ts))
	for i, tr := range ts {
		out[i] = tr.Title
	}
	return out
}

func TestManyToManyThroughJoinModel(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{MixPlaylist{}, MixTrack{}, MixEntry{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		mixInserts.Store(0)
		mixDeletes.Store(0)
		var tr [4]*MixTrack
		for i, title := range []string{"one", "two", "three", "four"} {
			tr[i] = &MixTrack{Title: title}
			require.NoError(t, tr[i].Save(ctx))
		}
		p := &MixPlaylist{Name: "mix", Tracks: []*MixTrack{tr[0], tr[1]}}
		require.NoError(t, p.Save(ctx))

		t.Run("saving links inserts rows of the join model with its hooks", func(t *testing.T) {
			assert.EqualValues(t, 2, mixInserts.Load())
			assert.Equal(t, []mixLink{{tr[0].ID, 101}, {tr[1].ID, 102}}, mixLinks(t, db, p.ID))
		})

		t.Run("Preload goes through the join model, nested too", func(t *testing.T) {
			got, err := record.Query[MixPlaylist](ctx).Preload("Tracks.Playlists").Get(p.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{"one", "two"}, titles(got.Tracks))
			require.Len(t, got.Tracks[0].Playlists, 1)
			assert.Equal(t, "mix", got.Tracks[0].Playlists[0].Name)
			back, err := record.Query[MixTrack](ctx).Preload("Playlists").Get(tr[1].ID)
			require.NoError(t, err)
			require.Len(t, back.Playlists, 1, "the other side, declared by the table name")
			assert.Equal(t, p.ID, back.Playlists[0].ID)
		})

		t.Run("the join rows' own columns through a has-many and their belongs-to", func(t *testing.T) {
			got, err := record.Query[MixPlaylist](ctx).Preload("Entries.Track").Get(p.ID)
			require.NoError(t, err)
			require.Len(t, got.Entries, 2)
			for i, e := range got.Entries {
				assert.Equal(t, 101+i, e.Position)
				assert.True(t, time.Date(2026, 1, 1, 1+i, 0, 0, 0, time.UTC).Equal(e.AddedAt), "AddedAt %v", e.AddedAt)
				require.NotNil(t, e.Track)
				assert.Equal(t, tr[i].Title, e.Track.Title)
			}
		})

		t.Run("replacing the loaded links inserts and destroys join rows, keeping the others", func(t *testing.T) {
			mixInserts.Store(0)
			got, err := record.Query[MixPlaylist](ctx).Preload("Tracks").Get(p.ID)
			require.NoError(t, err)
			require.NoError(t, got.Update(map[string]any{"tracks": []any{got.Tracks[1], tr[2]}}))
			require.NoError(t, got.Save(ctx))
			assert.EqualValues(t, 1, mixInserts.Load())
			assert.EqualValues(t, 1, mixDeletes.Load(), "the join model's delete hook ran")
			assert.Equal(t, []mixLink{{tr[1].ID, 102}, {tr[2].ID, 101}}, mixLinks(t, db, p.ID),
				"the kept row keeps its columns; the new one got them from the hook")
		})

		t.Run("adding to an unloaded relation inserts only the missing rows", func(t *testing.T) {
			mixInserts.Store(0)
			got, err := record.Get[MixPlaylist](ctx, p.ID)
			require.NoError(t, err)
			got.Tracks = []*MixTrack{tr[1], tr[3]} // tr[1] is linked already
			require.NoError(t, got.Save(ctx))
			assert.EqualValues(t, 1, mixInserts.Load())
			assert.Equal(t, []mixLink{{tr[1].ID, 102}, {tr[2].ID, 101}, {tr[3].ID, 101}}, mixLinks(t, db, p.ID),
				"nothing removed: the relation was not loaded")
		})

		t.Run("the join model on its own", func(t *testing.T) {
			rows, err := record.Query[MixEntry](ctx).Where(builder.Eq{"mix_playlist_id": p.ID}).OrderBy("mix_track_id").All()
			require.NoError(t, err)
			require.Len(t, rows, 3)
			rows[0].Position = 7
			require.NoError(t, rows[0].Save(ctx))
			require.NoError(t, rows[2].Destroy(ctx))
			solo := &MixEntry{MixPlaylistID: p.ID, MixTrackID: tr[0].ID, Position: 9}
			require.NoError(t, solo.Insert(ctx))
			assert.ErrorIs(t, (&MixEntry{MixPlaylistID: p.ID, MixTrackID: tr[0].ID}).Insert(ctx), record.ErrDuplicateKey)
			assert.Equal(t, []mixLink{{tr[0].ID, 9}, {tr[1].ID, 7}, {tr[2].ID, 101}}, mixLinks(t, db, p.ID))
			got, err := record.Query[MixPlaylist](ctx).Preload("Tracks").Get(p.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{"one", "two", "three"}, titles(got.Tracks))
		})

		t.Run("destroying the owner destroys its join rows with their hooks, never the tracks", func(t *testing.T) {
			mixDeletes.Store(0)
			require.NoError(t, p.Destroy(ctx))
			assert.EqualValues(t, 3, mixDeletes.Load())
			assert.Empty(t, mixLinks(t, db, p.ID))
			assert.EqualValues(t, 4, count[MixTrack](t, ctx))
			assert.EqualValues(t, 0, count[MixEntry](t, ctx))
		})
	})
}

// LateList's relation names LateEntry, which is registered after it: the
// registry stands in a join table "LateEntry" until then, and LateEntry
// (table late_entry) takes over.
type (
	LateList struct {
		record.Base[LateList]
		ID     int64        `db:"id,pk,autoincrement"`
		Tracks []*LateTrack `rel:"m2m=LateEntry"`
	}
	LateTrack struct {
		record.Base[LateTrack]
		ID    int64  `db:"id,pk,autoincrement"`
		Title string `db:"title,size=40"`
	}
	LateEntry struct {
		record.Base[LateEntry]
		ID          int64   `db:"id,pk,autoincrement"`
		LateListID  int64   `db:"late_list_id,notnull"`
		LateTrackID int64   `db:"late_track_id,notnull"`
		Note        *string `db:"note,size=20,default='added'"` // nil: the database's default
	}
)

func TestJoinModelRegisteredAfterItsRelation(t *testing.T) {
	_, again := registry.ByTable("late_list") // under -count=2
	require.NoError(t, registry.Register(LateList{}))
	list, err := registry.Of[LateList]()
	require.NoError(t, err)
	r, _ := list.Relation("Tracks")
	if !again {
		require.True(t, r.Through().Join.IsJoin(), "a join table stands in")
	}
	require.NoError(t, registry.Register(LateEntry{}))
	require.Equal(t, "late_entry", r.Through().Join.Table, "the model took over")

	dbtest.Each(t, dbtest.Options{Models: []any{LateList{}, LateTrack{}, LateEntry{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		l := &LateList{Tracks: []*LateTrack{{Title: "a"}, {Title: "b"}}}
		require.NoError(t, l.Save(ctx))
		var n int64
		require.NoError(t, db.DB().QueryRow(builder.Rebind(db.Client.Dialect(),
			`SELECT COUNT(*) FROM late_entry WHERE late_list_id = ?`), l.ID).Scan(&n))
		assert.EqualValues(t, 2, n, "links are rows of the join model's table")
		got, err := record.Query[LateList](ctx).Preload("Tracks").Get(l.ID)
		require.NoError(t, err)
		require.Len(t, got.Tracks, 2)
		assert.Equal(t, "a", got.Tracks[0].Title)
		require.NoError(t, got.Update(map[string]any{"tracks": []any{got.Tracks[1]}}))
		require.NoError(t, got.Save(ctx))
		rows, err := record.Find[LateEntry](ctx, builder.Eq{"late_list_id": l.ID})
		require.NoError(t, err)
		require.Len(t, rows, 1, "a surrogate-key join model works the same")
		assert.Equal(t, got.Tracks[0].ID, rows[0].LateTrackID)
		require.NotNil(t, rows[0].Note)
		assert.Equal(t, "added", *rows[0].Note, "a nil column with a default gets it, as with Insert")
	})
}
