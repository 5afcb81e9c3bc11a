package record_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// Member has every relation kind: has-many by value with cascade and
// orphan deletion (Roles), has-one with a nullable key (Profile), has-many
// by pointer with a NOT NULL key and no cascade (Posts).
type Member struct {
	record.Base[Member]
	ID      int64        `db:"id,pk,autoincrement"`
	Name    string       `db:"name,size=50"`
	Roles   []MemberRole `rel:"cascade,orphans=delete"`
	Profile *MemberProfile
	Posts   []*Article
}

type MemberRole struct {
	record.Base[MemberRole]
	ID          int64             `db:"id,pk,autoincrement"`
	MemberID    int64             `db:"member_id,fk=member.id"`
	Role        string            `db:"role,size=25"`
	Member      *Member           // belongs-to: the inverse of Member.Roles
	Permissions []*RolePermission `rel:"cascade,orphans=delete"`
}

type RolePermission struct {
	record.Base[RolePermission]
	ID           int64  `db:"id,pk,autoincrement"`
	MemberRoleID int64  `db:"member_role_id,fk=member_role.id"`
	Name         string `db:"name,size=25"`
}

type MemberProfile struct {
	record.Base[MemberProfile]
	ID       int64  `db:"id,pk,autoincrement"`
	MemberID *int64 `db:"member_id,fk=member.id"`
	Bio      string `db:"bio,size=100"`
}

type Article struct {
	record.Base[Article]
	ID       int64    `db:"id,pk,autoincrement"`
	MemberID int64    `db:"member_id,fk=member.id"`
	Title    string   `db:"title,size=100"`
	Author   *Member  `rel:"fk=member_id"`
	Labels   []*Label `rel:"m2m=article_label"`
}

type Label struct {
	record.Base[Label]
	ID       int64      `db:"id,pk,autoincrement"`
	Name     string     `db:"name,size=25"`
	Articles []*Article `rel:"m2m=article_label"`
}

var relModels = []any{Member{}, MemberRole{}, RolePermission{}, MemberProfile{}, Article{}, Label{}}

func eachRel(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: relModels}, func(t *testing.T, db *dbtest.DB) {
		fn(t, db, db.Ctx())
	})
}

func count[T any](t *testing.T, ctx context.Context, criteria ...builder.Sqlizer) int64 {
	t.Helper()
	n, err := record.Query[T](ctx).Where(criteria...).Count()
	require.NoError(t, err)
	return n
}

// jenny is a member with a profile, two roles with permissions and a post
// with two labels: four levels of nesting.
func jenny() map[string]any {
	return map[string]any{
		"name":    "Jenny",
		"profile": map[string]any{"bio": "hello"},
		"roles": []map[string]any{
			{"role": "admin", "permissions": []map[string]any{{"name": "read"}, {"name": "write"}}},
			{"role": "user", "permissions": []any{map[string]any{"name": "read"}}},
		},
		"Posts": []any{
			map[string]any{"title": "Hi", "labels": []map[string]any{{"name": "go"}, {"name": "sql"}}},
		},
	}
}

func saveJenny(t *testing.T, ctx context.Context) *Member {
	t.Helper()
	m, err := record.New[Member](jenny())
	require.NoError(t, err)
	require.NoError(t, m.Save(ctx))
	return m
}

func loadMember(t *testing.T, ctx context.Context, id int64) *Member {
	t.Helper()
	m, err := record.Query[Member](ctx).Preload("Roles.Permissions", "Profile", "Posts.Labels").Get(id)
	require.NoError(t, err)
	return m
}

func roleNames(m *Member) []string {
	var out []string
	for _, r := range m.Roles {
		out = append(out, r.Role)
	}
	return out
}

func TestNestedCreateThreeLevels(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m, err := record.New[Member](jenny())
		require.NoError(t, err)
		require.Len(t, m.Roles, 2)
		require.Len(t, m.Roles[0].Permissions, 2)
		assert.Equal(t, "write", m.Roles[0].Permissions[1].Name)
		require.NotNil(t, m.Profile)
		assert.True(t, m.IsNew() && m.Roles[0].IsNew())

		require.NoError(t, m.Save(ctx))
		assert.NotZero(t, m.ID)
		assert.Equal(t, m.ID, m.Roles[1].MemberID, "the children get the parent's key")
		assert.Equal(t, m.Roles[0].ID, m.Roles[0].Permissions[0].MemberRoleID, "three levels down")
		assert.Equal(t, m.ID, *m.Profile.MemberID)
		assert.Equal(t, m.ID, m.Posts[0].MemberID)
		assert.False(t, m.Roles[0].Permissions[1].IsNew())

		assert.EqualValues(t, 2, count[MemberRole](t, ctx))
		assert.EqualValues(t, 3, count[RolePermission](t, ctx))
		assert.EqualValues(t, 2, count[Label](t, ctx))
		got := loadMember(t, ctx, m.ID)
		assert.Equal(t, []string{"admin", "user"}, roleNames(got))
		require.Len(t, got.Posts, 1)
		require.Len(t, got.Posts[0].Labels, 2)
		assert.Equal(t, "sql", got.Posts[0].Labels[1].Name)

		before := db.Statements()
		require.NoError(t, got.Save(ctx))
		for _, q := range db.Log()[before:] {
			assert.NotRegexp(t, `^(INSERT|UPDATE|DELETE)`, q, "saving an unchanged graph writes nothing")
		}
	})
}

func TestNestedUpdateMergesInPlace(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := loadMember(t, ctx, saveJenny(t, ctx).ID)
		profile, admin := m.Profile, m.Roles[0].ID
		err := m.Update(map[string]any{
			"profile": map[string]any{"bio": "updated"},
			"roles": []map[string]any{
				{"id": admin, "role": "owner", "permissions": []map[string]any{{"id": m.Roles[0].Permissions[0].ID, "name": "read-all"}}},
			},
		})
		require.NoError(t, err)
		assert.Same(t, profile, m.Profile, "a map merges into the related record in place")
		assert.Equal(t, "updated", m.Profile.Bio)
		require.Len(t, m.Roles, 1)
		assert.Equal(t, admin, m.Roles[0].ID, "a map with the key of a member of the collection updates it")
		assert.Equal(t, "owner", m.Roles[0].Role)
		assert.Equal(t, []string{"role"}, m.Roles[0].Changed())

		require.NoError(t, m.Save(ctx))
		got := loadMember(t, ctx, m.ID)
		assert.Equal(t, "updated", got.Profile.Bio)
		assert.Equal(t, profile.ID, got.Profile.ID)
		assert.Equal(t, []string{"owner"}, roleNames(got))
		require.Len(t, got.Roles[0].Permissions, 1)
		assert.Equal(t, "read-all", got.Roles[0].Permissions[0].Name)
		assert.EqualValues(t, 1, count[MemberRole](t, ctx), "the role that left the collection is deleted (orphans=delete)")
		assert.EqualValues(t, 1, count[RolePermission](t, ctx), "its permissions too (cascade), and the one removed from admin")
	})
}

func TestNestedUpdateReplacesCollection(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		id := saveJenny(t, ctx).ID
		other := saveJenny(t, ctx)

		// Not loaded: replacing still replaces what the database holds.
		m, err := record.Get[Member](ctx, id)
		require.NoError(t, err)
		require.NoError(t, m.Update(map[string]any{"roles": []any{map[string]any{"role": "fresh"}, &MemberRole{Role: "made"}}}))
		require.NoError(t, m.Save(ctx))
		assert.Equal(t, []string{"fresh", "made"}, roleNames(loadMember(t, ctx, id)))
		assert.EqualValues(t, 2, count[MemberRole](t, ctx, builder.Eq{"member_id": other.ID}), "another member's roles stay")

		// Loaded, then emptied by hand: the removed records are deleted.
		m = loadMember(t, ctx, id)
		m.Roles = m.Roles[1:]
		require.NoError(t, m.Save(ctx))
		assert.Equal(t, []string{"made"}, roleNames(loadMember(t, ctx, id)))

		// nil clears a collection.
		require.NoError(t, m.Update(map[string]any{"roles": nil}))
		require.NoError(t, m.Save(ctx))
		assert.Empty(t, loadMember(t, ctx, id).Roles)
		assert.EqualValues(t, 2, count[MemberRole](t, ctx))
	})
}

func TestClearingHasOneNullsItsForeignKey(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := loadMember(t, ctx, saveJenny(t, ctx).ID)
		pid := m.Profile.ID
		require.NoError(t, m.Update(map[string]any{"profile": map[string]any{}}))
		assert.Nil(t, m.Profile, "an empty map clears a single relation")
		require.NoError(t, m.Save(ctx))
		p, err := record.Get[MemberProfile](ctx, pid)
		require.NoError(t, err)
		assert.Nil(t, p.MemberID, "the detached profile is kept with a NULL key")
		assert.Nil(t, loadMember(t, ctx, m.ID).Profile)

		// A new record replaces it; the map creates one when there is none.
		require.NoError(t, m.Update(map[string]any{"profile": map[string]any{"bio": "new"}}))
		require.NoError(t, m.Save(ctx))
		assert.Equal(t, "new", loadMember(t, ctx, m.ID).Profile.Bio)
	})
}

func TestDetachingFromNotNullKeyIsRefused(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := loadMember(t, ctx, saveJenny(t, ctx).ID)
		m.Name = "renamed"
		require.NoError(t, m.Update(map[string]any{"posts": []any{}}))
		err := m.Save(ctx)
		require.Error(t, err)
		assert.ErrorIs(t, err, record.ErrRelation)
		var re *record.RelationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "Member", re.Model)
		assert.Equal(t, "Posts", re.Path)
		assert.Contains(t, err.Error(), "article.member_id cannot be NULL")
		assert.Contains(t, err.Error(), `rel:"orphans=delete"`)
		got := loadMember(t, ctx, m.ID)
		assert.Equal(t, "Jenny", got.Name, "the whole save rolled back")
		assert.Len(t, got.Posts, 1)

		// A belongs-to with a NOT NULL key cannot be cleared either.
		a := got.Posts[0]
		a.Author = got
		require.NoError(t, a.Update(map[string]any{"author": nil}))
		assert.ErrorIs(t, a.Save(ctx), record.ErrRelation)
	})
}

func TestNestedUpdateIsAllOrNothing(t *testing.T) {
	m, err := record.New[Member](jenny())
	require.NoError(t, err)
	before := m.ToMap()
	cases := []struct {
		name   string
		values map[string]any
		is     error
		msg    string
	}{
		{"unknown nested key", map[string]any{"name": "X", "roles": []map[string]any{{"role": "ok"}, {"bogus": 1}}}, registry.ErrUnknownColumn, `Member.Roles[1]: registry: model MemberRole has no column "bogus"`},
		{"bad nested value three levels down", map[string]any{"name": "X", "roles": []any{map[string]any{"permissions": []any{map[string]any{"name": 5}}}}}, record.ErrInvalidValue, "Member.Roles[0]: record: MemberRole.Permissions[0]: record: RolePermission.Name"},
		{"wrong type for a single relation", map[string]any{"name": "X", "profile": "bio"}, record.ErrInvalidValue, "want a map[string]any, a *MemberProfile"},
		{"wrong element type", map[string]any{"name": "X", "roles": []any{&Member{}}}, record.ErrInvalidValue, "Member.Roles[0]"},
		{"not a slice", map[string]any{"name": "X", "roles": map[string]any{"role": "x"}}, record.ErrInvalidValue, "want a slice"},
		{"bad merge into an existing record", map[string]any{"name": "X", "profile": map[string]any{"bio": 1}}, record.ErrInvalidValue, "MemberProfile.Bio"},
		{"relation given twice", map[string]any{"roles": nil, "Roles": nil}, record.ErrRelation, "given twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Update(tc.values)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.is)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, before, m.ToMap(), "nothing changed")
		})
	}
	require.NoError(t, m.Set("profile", map[string]any{"bio": "by Set"}))
	assert.Equal(t, "by Set", m.Profile.Bio)
}

var relEvents []string

func (Member) Events(on *events.On[Member]) {
	on.Append("roles", func(m *Member, item any) (any, error) {
		r := item.(*MemberRole)
		relEvents = append(relEvents, "append "+r.Role)
		if r.Role == "shout" {
			return &MemberRole{Role: "SHOUT"}, nil // an Append handler may replace the item
		}
		return r, nil
	})
	on.Remove("roles", func(m *Member, item any) error {
		relEvents = append(relEvents, "remove "+item.(*MemberRole).Role)
		return nil
	})
	on.Set("profile", func(m *Member, value, old any) (any, error) {
		relEvents = append(relEvents, fmt.Sprintf("set profile %v -> %v", old != nil, value != nil))
		return value, nil
	})
}

func TestRelationEventsFire(t *testing.T) {
	relEvents = nil
	m, err := record.New[Member](map[string]any{"roles": []map[string]any{{"role": "a"}, {"role": "shout"}}, "profile": map[string]any{"bio": "x"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"append a", "append shout", "set profile false -> true"}, relEvents)
	assert.Equal(t, []string{"a", "SHOUT"}, roleNames(m))

	relEvents = nil
	keep := &m.Roles[0]
	require.NoError(t, m.Update(map[string]any{"roles": []any{keep, map[string]any{"role": "b"}}, "profile": nil}))
	assert.Equal(t, []string{"remove SHOUT", "append b", "set profile true -> false"}, relEvents)

	relEvents = nil
	require.NoError(t, m.Update(map[string]any{"profile": map[string]any{"bio": "y"}}))
	require.NoError(t, m.Update(map[string]any{"profile": map[string]any{"bio": "z"}}))
	assert.Equal(t, []string{"set profile false -> true"}, relEvents, "merging into the related record is no Set of the relation")
}

func TestSaveCascadesToChangedChildren(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := loadMember(t, ctx, saveJenny(t, ctx).ID)
		m.Roles[1].Permissions[0].Name = "execute"
		m.Roles[1].Permissions = append(m.Roles[1].Permissions, &RolePermission{Name: "audit"})
		m.Posts[0].Labels = append(m.Posts[0].Labels, &Label{Name: "orm"})
		before := db.Statements()
		require.NoError(t, m.Save(ctx))
		var writes []string
		for _, q := range db.Log()[before:] {
			f := strings.Fields(q)
			switch f[0] {
			case "UPDATE":
				writes = append(writes, "UPDATE "+f[1])
			case "INSERT", "DELETE":
				writes = append(writes, f[0]+" "+f[2])
			}
		}
		assert.ElementsMatch(t, []string{
			"UPDATE " + quote(db, "role_permission"), "INSERT " + quote(db, "role_permission"),
			"INSERT " + quote(db, "label"), "INSERT " + quote(db, "article_label"),
		}, writes)
		got := loadMember(t, ctx, m.ID)
		var names []string
		for _, p := range got.Roles[1].Permissions {
			names = append(names, p.Name)
		}
		assert.Equal(t, []string{"execute", "audit"}, names)
		assert.Len(t, got.Posts[0].Labels, 3)
	})
}

func quote(db *dbtest.DB, ident string) string { return db.Client.Dialect().Quote(ident) }

func TestBelongsToSavesParentFirst(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		a, err := record.New[Article](map[string]any{"title": "Orphan no more", "author": map[string]any{"name": "Ann"}})
		require.NoError(t, err)
		require.NoError(t, a.Save(ctx))
		require.NotZero(t, a.Author.ID)
		assert.Equal(t, a.Author.ID, a.MemberID)

		// Pointing at another (new) parent moves it.
		a.Author = &Member{Name: "Bob"}
		require.NoError(t, a.Save(ctx))
		got, err := record.Query[Article](ctx).Preload("Author").Get(a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Bob", got.Author.Name)
		assert.EqualValues(t, 2, count[Member](t, ctx))
	})
}

func TestDestroyRefusedByForeignKey(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := saveJenny(t, ctx)
		err := m.Destroy(ctx)
		require.Error(t, err)
		assert.ErrorIs(t, err, record.ErrReferenced)
		var re *record.ReferencedError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "Member", re.Model)
		assert.Equal(t, []string{"Member.Profile", "Member.Posts"}, re.Relations)
		assert.Contains(t, err.Error(), `rel:"cascade"`)
		assert.EqualValues(t, 1, count[Member](t, ctx), "nothing was destroyed")
		assert.EqualValues(t, 2, count[MemberRole](t, ctx), "not even the cascaded roles: one transaction")
		assert.EqualValues(t, 3, count[RolePermission](t, ctx))

		_, err = record.Destroy[Member](ctx, m.ID)
		assert.ErrorIs(t, err, record.ErrReferenced)
	})
}

func TestDestroyCascades(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m, err := record.New[Member](map[string]any{"name": "C", "roles": jenny()["roles"]})
		require.NoError(t, err)
		require.NoError(t, m.Save(ctx))
		keep := saveJenny(t, ctx)
		require.NoError(t, m.Destroy(ctx))
		assert.True(t, m.IsNew())
		assert.EqualValues(t, 2, count[MemberRole](t, ctx), "only the destroyed member's roles went")
		assert.EqualValues(t, 3, count[RolePermission](t, ctx), "and their permissions, two levels down")

		// The bulk form cascades too.
		n, err := record.Destroy[MemberRole](ctx, []any{keep.Roles[0].ID})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.EqualValues(t, 1, count[RolePermission](t, ctx))
	})
}

func TestManyToMany(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := saveJenny(t, ctx)
		goLabel, err := record.FindOne[Label](ctx, builder.Eq{"name": "go"})
		require.NoError(t, err)
		second, err := record.New[Article](map[string]any{"title": "Two", "member_id": m.ID, "labels": []any{goLabel, map[string]any{"name": "new"}}})
		require.NoError(t, err)
		require.NoError(t, second.Save(ctx))

		l, err := record.Query[Label](ctx).Preload("Articles").Get(goLabel.ID)
		require.NoError(t, err)
		require.Len(t, l.Articles, 2, "the inverse side sees both")
		assert.Equal(t, []string{"Hi", "Two"}, []string{l.Articles[0].Title, l.Articles[1].Title})

		// Remove one label, add an existing one.
		a, err := record.Query[Article](ctx).Preload("Labels").Get(second.ID)
		require.NoError(t, err)
		sql, err := record.FindOne[Label](ctx, builder.Eq{"name": "sql"})
		require.NoError(t, err)
		require.NoError(t, a.Update(map[string]any{"labels": []any{a.Labels[1], sql}}))
		require.NoError(t, a.Save(ctx))
		a, err = record.Query[Article](ctx).Preload("Labels").Get(second.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"sql", "new"}, []string{a.Labels[0].Name, a.Labels[1].Name}, "ordered by key")
		assert.EqualValues(t, 3, count[Label](t, ctx), "removing a link leaves the label")

		// Replacing without loading replaces what the join table holds.
		b, err := record.Get[Article](ctx, second.ID)
		require.NoError(t, err)
		require.NoError(t, b.Update(map[string]any{"labels": []any{goLabel}}))
		require.NoError(t, b.Save(ctx))
		b, err = record.Query[Article](ctx).Preload("Labels").Get(second.ID)
		require.NoError(t, err)
		require.Len(t, b.Labels, 1)
		assert.Equal(t, "go", b.Labels[0].Name)

		// Destroying an article deletes its join rows, never the labels.
		require.NoError(t, b.Destroy(ctx))
		assert.EqualValues(t, 3, count[Label](t, ctx))
		l, err = record.Query[Label](ctx).Preload("Articles").Get(goLabel.ID)
		require.NoError(t, err)
		assert.Len(t, l.Articles, 1)
		require.NoError(t, l.Destroy(ctx), "Label declares the relation too, so its join rows go with it")
		first, err := record.Query[Article](ctx).Preload("Labels").Get(m.Posts[0].ID)
		require.NoError(t, err)
		assert.Equal(t, "sql", first.Labels[0].Name)
	})
}

func TestPreloadIsNPlusOneFree(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for range 5 {
			saveJenny(t, ctx)
		}
		cases := []struct {
			name    string
			run     func() error
			queries int64
		}{
			{"has-many, two levels", func() error {
				ms, err := record.Query[Member](ctx).Preload("Roles.Permissions").All()
				if err == nil && (len(ms) != 5 || len(ms[4].Roles[0].Permissions) != 2) {
					err = fmt.Errorf("wrong shape")
				}
				return err
			}, 3},
			{"has-one and has-many", func() error {
				_, err := record.Query[Member](ctx).Preload("Profile", "Roles").All()
				return err
			}, 3},
			{"belongs-to", func() error {
				as, err := record.Query[Article](ctx).Preload("Author").All()
				if err == nil && as[3].Author.Name != "Jenny" {
					err = fmt.Errorf("no author")
				}
				return err
			}, 2},
			{"many-to-many: join rows, then labels", func() error {
				_, err := record.Query[Member](ctx).Preload("Posts.Labels").All()
				return err
			}, 4},
			{"a path through a relation loads it once", func() error {
				_, err := record.Query[Member](ctx).Preload("roles", "roles.permissions", "Roles.Member").All()
				return err
			}, 4},
		}
		for _, tc := range cases {
			before := db.Statements()
			require.NoError(t, tc.run(), tc.name)
			assert.Equal(t, tc.queries, db.Statements()-before, tc.name)
		}
	})
}

func TestPreloadBatchesKeys(t *testing.T) {
	undo := record.SetPreloadBatch(2)
	defer undo()
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for range 5 {
			saveJenny(t, ctx)
		}
		before := db.Statements()
		ms, err := record.Query[Member](ctx).Preload("Roles").All()
		require.NoError(t, err)
		assert.EqualValues(t, 1+3, db.Statements()-before, "5 keys in batches of 2")
		for _, m := range ms {
			assert.Equal(t, []string{"admin", "user"}, roleNames(m))
			assert.Same(t, m, m.Roles[0].Member, "loaded children point back at their owner")
		}
	})
}

func TestPreloadOnEveryReader(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		var ids []int64
		for range 5 {
			ids = append(ids, saveJenny(t, ctx).ID)
		}
		q := record.Query[Member](ctx).Preload("Roles")
		first, err := q.First()
		require.NoError(t, err)
		assert.Len(t, first.Roles, 2)

		got, err := q.Get(ids[2])
		require.NoError(t, err)
		assert.Len(t, got.Roles, 2)
		_, err = q.Where(builder.Eq{"name": "nobody"}).Get(ids[2])
		assert.ErrorIs(t, err, record.ErrNotFound)
		got, err = q.Where(builder.Eq{"name": "Jenny"}).Get(ids[3])
		require.NoError(t, err)
		assert.Len(t, got.Roles, 2)

		page, err := q.Paginate(2, 2)
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		assert.Len(t, page.Items[1].Roles, 2)

		for _, order := range []string{"", "-id"} {
			iq := q
			want := slices.Clone(ids)
			if order != "" {
				iq = q.OrderBy(order)
				slices.Reverse(want)
			}
			var seen []int64
			for m, err := range iq.Iter() {
				require.NoError(t, err)
				assert.Len(t, m.Roles, 2)
				seen = append(seen, m.ID)
			}
			assert.Equal(t, want, seen, "order %q", order)
		}
		var limited []int64
		for m, err := range q.Offset(1).Limit(3).Iter() {
			require.NoError(t, err)
			limited = append(limited, m.ID)
		}
		assert.Equal(t, ids[1:4], limited)

		// Inside a transaction too (no open cursor while preloading).
		err = db.Transaction(ctx, func(ctx context.Context) error {
			n := 0
			for m, err := range record.Query[Member](ctx).Preload("Roles.Permissions").Iter() {
				if err != nil {
					return err
				}
				n += len(m.Roles[0].Permissions)
			}
			assert.Equal(t, 10, n)
			return nil
		})
		require.NoError(t, err)
	})
}

func TestPreloadUnknownRelationFailsBeforeSQL(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		for _, path := range []string{"Nope", "Roles.Nope", "roles.permissions.x", "Name"} {
			_, err := record.Query[Member](ctx).Preload(path).All()
			assert.ErrorIs(t, err, registry.ErrUnknownRelation, path)
			var ue *registry.UnknownRelationError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, path, ue.Path)
		}
		_, err := record.Query[Member](ctx).Preload("Nope").Get(1)
		assert.ErrorIs(t, err, registry.ErrUnknownRelation)
		for _, err := range record.Query[Member](ctx).Preload("Nope").Iter() {
			assert.ErrorIs(t, err, registry.ErrUnknownRelation)
		}
		assert.Equal(t, before, db.Statements())
	})
}

func TestToMapNestsLoadedRelationsAndCutsCycles(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		id := saveJenny(t, ctx).ID
		plain, err := record.Get[Member](ctx, id)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"id": id, "name": "Jenny"}, plain.ToMap(), "relations not loaded are left out")

		m, err := record.Query[Member](ctx).Preload("Roles").Get(id)
		require.NoError(t, err)
		r0, r1 := m.Roles[0], m.Roles[1]
		assert.Equal(t, map[string]any{
			"id": id, "name": "Jenny",
			// each role's Member points back at m: on the path, so left out
			"roles": []map[string]any{
				{"id": r0.ID, "member_id": id, "role": "admin"},
				{"id": r1.ID, "member_id": id, "role": "user"},
			},
		}, m.ToMap())

		// From a role: its member is expanded, and in the member's roles the
		// role itself appears with its columns only.
		role := &m.Roles[0]
		assert.Equal(t, map[string]any{
			"id": r0.ID, "member_id": id, "role": "admin",
			"member": map[string]any{
				"id": id, "name": "Jenny",
				"roles": []map[string]any{
					{"id": r0.ID, "member_id": id, "role": "admin"},
					{"id": r1.ID, "member_id": id, "role": "user"},
				},
			},
		}, role.ToMap())

		// Loaded and empty: [] and nil, not left out.
		bare := &Member{Name: "bare"}
		require.NoError(t, bare.Save(ctx))
		b, err := record.Query[Member](ctx).Preload("Roles", "Profile", "Posts").Get(bare.ID)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"id": bare.ID, "name": "bare", "roles": []map[string]any{}, "profile": nil, "posts": []map[string]any{}}, b.ToMap())
	})
}

func TestToMapOptions(t *testing.T) {
	m, err := record.New[Member](jenny())
	require.NoError(t, err)
	full := m.ToMap()
	require.Contains(t, full, "roles")
	roles := full["roles"].([]map[string]any)
	assert.Len(t, roles[0]["permissions"], 2)
	assert.Equal(t, "go", full["posts"].([]map[string]any)[0]["labels"].([]map[string]any)[0]["name"])

	assert.Equal(t, map[string]any{"id": int64(0), "name": "Jenny"}, m.ToMap(record.ExcludeRelations()))
	one := m.ToMap(record.MaxDepth(1))
	assert.NotContains(t, one["roles"].([]map[string]any)[0], "permissions")
	assert.Equal(t, "hello", one["profile"].(map[string]any)["bio"])
	two := m.ToMap(record.MaxDepth(2))
	assert.Len(t, two["roles"].([]map[string]any)[0]["permissions"], 2)
	assert.Equal(t, full, m.ToMap(record.MaxDepth(-1)))
}

func TestToMapCycleThroughCollections(t *testing.T) {
	a := &Article{Title: "t"}
	author := &Member{Name: "A"}
	a.Author = author
	author.Posts = []*Article{a}
	author.Roles = []MemberRole{{Role: "r", Member: author}}
	got := a.ToMap()
	au := got["author"].(map[string]any)
	assert.Equal(t, "A", au["name"])
	posts := au["posts"].([]map[string]any)
	assert.Equal(t, map[string]any{"id": int64(0), "member_id": int64(0), "title": "t"}, posts[0], "the article itself: columns only")
	rs := au["roles"].([]map[string]any)
	assert.Equal(t, map[string]any{"id": int64(0), "member_id": int64(0), "role": "r"}, rs[0], "the role's member is the author, on the path")
}

// Transfer has two relations to one model.
type Transfer struct {
	record.Base[Transfer]
	ID     int64   `db:"id,pk,autoincrement"`
	FromID int64   `db:"from_id,fk=member.id"`
	ToID   int64   `db:"to_id,fk=member.id"`
	From   *Member // by the field's name: from_id
	To     *Member
}

func TestTwoRelationsToOneRecordAreBothExpanded(t *testing.T) {
	// The original's issue #43: a "seen" set dropped the second relation to
	// the same model; the path rule does not.
	m := &Member{ID: 7, Name: "Self"}
	tr := &Transfer{FromID: 7, ToID: 7, From: m, To: m}
	got := tr.ToMap()
	want := map[string]any{"id": int64(7), "name": "Self"}
	assert.Equal(t, want, got["from"])
	assert.Equal(t, want, got["to"])
}

// Team has seats with a composite primary key; Badge belongs to a member
// through a value field.
type Team struct {
	record.Base[Team]
	ID    int64      `db:"id,pk,autoincrement"`
	Name  string     `db:"name,size=20"`
	Seats []TeamSeat `rel:"orphans=delete"`
}

type TeamSeat struct {
	record.Base[TeamSeat]
	TeamID int64  `db:"team_id,pk=1,fk=team.id"`
	Seat   int    `db:"seat,pk=2"`
	Holder string `db:"holder,size=20"`
}

type Badge struct {
	record.Base[Badge]
	ID       int64  `db:"id,pk,autoincrement"`
	MemberID int64  `db:"member_id,fk=member.id"`
	Label    string `db:"label,size=20"`
	Member   Member // belongs-to through a value field
}

func TestCompositeKeysAndValueRelations(t *testing.T) {
	models := append([]any{Team{}, TeamSeat{}, Badge{}}, relModels...)
	dbtest.Each(t, dbtest.Options{Models: models}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		team, err := record.New[Team](map[string]any{"name": "red", "seats": []map[string]any{
			{"seat": 1, "holder": "a"}, {"seat": 2, "holder": "b"}, {"seat": 3, "holder": "c"},
		}})
		require.NoError(t, err)
		require.NoError(t, team.Save(ctx))
		got, err := record.Query[Team](ctx).Preload("Seats").Get(team.ID)
		require.NoError(t, err)
		require.Len(t, got.Seats, 3)
		require.NoError(t, got.Update(map[string]any{"seats": []map[string]any{
			{"team_id": team.ID, "seat": 2, "holder": "B"}, {"seat": 4, "holder": "d"},
		}}))
		require.NoError(t, got.Save(ctx))
		got, err = record.Query[Team](ctx).Preload("Seats").Get(team.ID)
		require.NoError(t, err)
		var seats []string
		for _, s := range got.Seats {
			seats = append(seats, fmt.Sprint(s.Seat, s.Holder))
		}
		assert.Equal(t, []string{"2B", "4d"}, seats, "seats 1 and 3 deleted by composite key, 2 merged")

		b, err := record.New[Badge](map[string]any{"label": "gold", "member": map[string]any{"name": "Val"}})
		require.NoError(t, err)
		require.NoError(t, b.Save(ctx))
		assert.NotZero(t, b.Member.ID)
		assert.Equal(t, b.Member.ID, b.MemberID)
		lb, err := record.Query[Badge](ctx).Preload("Member").Get(b.ID)
		require.NoError(t, err)
		assert.Equal(t, "Val", lb.Member.Name)
		assert.Equal(t, map[string]any{"id": b.ID, "member_id": b.MemberID, "label": "gold",
			"member": map[string]any{"id": b.MemberID, "name": "Val"}}, lb.ToMap())
		lb.Member.Name = "Valerie"
		require.NoError(t, lb.Save(ctx), "a changed parent in a value field is saved too")
		mm, err := record.Get[Member](ctx, b.MemberID)
		require.NoError(t, err)
		assert.Equal(t, "Valerie", mm.Name)
	})
}

func TestSaveMapWithNestedRelations(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		id := saveJenny(t, ctx).ID
		m, err := record.Save[Member](ctx, map[string]any{"id": id, "name": "Jen", "roles": []map[string]any{{"role": "only"}}})
		require.NoError(t, err)
		assert.Equal(t, "Jen", m.Name)
		got := loadMember(t, ctx, id)
		assert.Equal(t, []string{"only"}, roleNames(got), "the upsert replaced the collection")
		assert.Equal(t, "hello", got.Profile.Bio, "relations not in the map are left alone")
		assert.EqualValues(t, 0, count[RolePermission](t, ctx))
	})
}

// Preloading a slice of records (not pointers) into many parents gives each
// parent its own slice: appending to one leaves the next alone, and Save
// still sees what was added and removed.
func TestPreloadValueSlicesAreSeparate(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for _, name := range []string{"a", "b", "c"} {
			m, err := record.New[Member](map[string]any{"name": name, "roles": []map[string]any{{"role": name + "1"}, {"role": name + "2"}}})
			require.NoError(t, err)
			require.NoError(t, m.Save(ctx))
		}
		require.NoError(t, (&Member{Name: "none"}).Save(ctx))
		ms, err := record.Query[Member](ctx).OrderBy("id").Preload("Roles").All()
		require.NoError(t, err)
		require.Len(t, ms, 4)
		assert.Equal(t, []string{"a1", "a2"}, roleNames(ms[0]))
		assert.Equal(t, []string{"b1", "b2"}, roleNames(ms[1]))
		assert.Empty(t, ms[3].Roles)

		ms[0].Roles = append(ms[0].Roles, MemberRole{Role: "a3"})
		assert.Equal(t, []string{"b1", "b2"}, roleNames(ms[1]), "appending to one parent's slice wrote into the next")
		require.NoError(t, ms[0].Save(ctx))
		ms[1].Roles = ms[1].Roles[:1]
		require.NoError(t, ms[1].Save(ctx))

		a, err := record.Query[Member](ctx).Preload("Roles").Get(ms[0].ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"a1", "a2", "a3"}, roleNames(a))
		b, err := record.Query[Member](ctx).Preload("Roles").Get(ms[1].ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"b1"}, roleNames(b), "the removed role is deleted (orphans=delete)")
		assert.EqualValues(t, 6, count[MemberRole](t, ctx), "6 roles, one added, one deleted")
	})
}
