// Command relations walks through relationships: a user with roles (which
// have permissions), a profile and tags through a join table. It creates
// them in one nested map, loads them back with Preload (one query per
// level, printed), updates them in place, serialises them with ToMap and
// JSON (cycles cut, an adapter applied), and destroys them, first refused
// by a foreign key and then cascading.
//
//	go run ./examples/relations
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// User has many roles (destroyed with the user, and deleted when they
// leave the collection), one profile, and many tags through user_tag.
type User struct {
	record.Base[User]
	ID      int64      `db:"id,pk,autoincrement"`
	Name    string     `db:"name,size=100"`
	Email   string     `db:"email,size=100,unique"`
	Joined  time.Time  `db:"joined"`
	Roles   []UserRole `rel:"cascade,orphans=delete"`
	Profile *Profile
	Tags    []*Tag `rel:"m2m=user_tag"`
}

// UserRole belongs to a user (user_id, by the fk= option) and has many
// permissions.
type UserRole struct {
	record.Base[UserRole]
	ID          int64         `db:"id,pk,autoincrement"`
	UserID      int64         `db:"user_id,notnull,fk=user.id"`
	Role        string        `db:"role,notnull,size=25"`
	User        *User         // the back-reference: the inverse of User.Roles
	Permissions []*Permission `rel:"cascade"`
}

// Permission belongs to a role.
type Permission struct {
	record.Base[Permission]
	ID         int64  `db:"id,pk,autoincrement"`
	UserRoleID int64  `db:"user_role_id,fk=user_role.id"`
	Name       string `db:"name,size=25"`
}

// Profile is a user's one profile; its key is nullable, so clearing the
// relation detaches it instead of deleting it.
type Profile struct {
	record.Base[Profile]
	ID     int64  `db:"id,pk,autoincrement"`
	UserID *int64 `db:"user_id,fk=user.id"`
	Bio    string `db:"bio,size=200"`
}

// Tag is linked to users through the join table user_tag, which the
// registry declares and CreateAll creates.
type Tag struct {
	record.Base[Tag]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=25,unique"`
}

// MapAdapters shapes the user's ToMap and JSON: the e-mail address is left
// out and the join date is a plain date.
func (User) MapAdapters() record.Adapters { return userAdapters }

var userAdapters = record.Adapters{
	"email":                    nil,
	record.TypeOf[time.Time](): func(v any, _ string, _ any) any { return v.(time.Time).Format(time.DateOnly) },
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// counter counts the statements the client logs.
type counter struct{ n int }

func (c *counter) Enabled(context.Context, slog.Level) bool  { return true }
func (c *counter) Handle(context.Context, slog.Record) error { c.n++; return nil }
func (c *counter) WithAttrs([]slog.Attr) slog.Handler        { return c }
func (c *counter) WithGroup(string) slog.Handler             { return c }

func run() error {
	dir, err := os.MkdirTemp("", "sqlservice-relations-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	stmts := &counter{}
	db, err := session.Open(session.Config{
		DatabaseURI: "sqlite:///" + filepath.Join(dir, "db.sql"),
		Echo:        true, // counted, not printed
		Logger:      slog.New(stmts),
	})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, User{}, UserRole{}, Permission{}, Profile{}, Tag{}); err != nil {
		return err
	}
	tables, err := tableNames(ctx, db)
	if err != nil {
		return err
	}
	fmt.Println("tables:", tables)

	// Nested creation, three levels deep, saved in one transaction.
	joined := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, name := range []string{"Jenny", "Tom"} {
		u, err := record.New[User](map[string]any{
			"name":    name,
			"email":   strings.ToLower(name) + "@example.com",
			"joined":  joined,
			"profile": map[string]any{"bio": name + " writes Go."},
			"roles": []map[string]any{
				{"role": "admin", "permissions": []map[string]any{{"name": "read"}, {"name": "write"}}},
				{"role": "editor", "permissions": []map[string]any{{"name": "read"}}},
			},
			"tags": []any{map[string]any{"name": strings.ToLower(name)}},
		})
		if err != nil {
			return err
		}
		if err := u.Save(ctx); err != nil {
			return err
		}
		fmt.Printf("saved %s: user %d, roles %d and %d, permissions %d, profile %d\n",
			u.Name, u.ID, u.Roles[0].ID, u.Roles[1].ID, len(u.Roles[0].Permissions)+len(u.Roles[1].Permissions), u.Profile.ID)
	}

	// Eager loading: one query per relation level, however many users.
	before := stmts.n
	users, err := record.Query[User](ctx).Preload("Roles.Permissions", "Profile", "Tags").All()
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d users with roles, permissions, profiles and tags in %d queries\n", len(users), stmts.n-before)
	jenny := users[0]
	fmt.Println("back-reference:", jenny.Roles[0].User == jenny)

	// Serialise: nested maps, the back-references cut, the adapters applied.
	out, err := json.MarshalIndent(jenny, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	fmt.Println("columns only:", jenny.ToMap(record.ExcludeRelations()))

	// Update in place: a map merges into the related record, a slice
	// replaces a collection (a map with a role's key updates that role).
	err = jenny.Update(map[string]any{
		"profile": map[string]any{"bio": "Jenny writes Go and SQL."},
		"roles":   []map[string]any{{"id": jenny.Roles[0].ID, "role": "owner"}},
		"tags":    []any{jenny.Tags[0], map[string]any{"name": "sql"}},
	})
	if err != nil {
		return err
	}
	if err := jenny.Save(ctx); err != nil {
		return err
	}
	again, err := record.Query[User](ctx).Preload("Roles.Permissions", "Profile", "Tags").Get(jenny.ID)
	if err != nil {
		return err
	}
	fmt.Printf("after update: bio %q, roles %v, tags %v\n", again.Profile.Bio, roles(again), tags(again))
	n, err := record.Query[Permission](ctx).Count()
	if err != nil {
		return err
	}
	fmt.Println("permissions left:", n, "(the editor role left the collection and took its permission with it)")

	// Bad input anywhere leaves everything as it was.
	err = again.Update(map[string]any{"name": "J", "roles": []map[string]any{{"role": "x", "permissions": []map[string]any{{"nmae": "typo"}}}}})
	fmt.Println("bad update:", err)
	fmt.Println("name unchanged:", again.Name)

	// Destroy: the profile still references the user, so the database
	// refuses; clear it (its key becomes NULL), then the roles and their
	// permissions go with the user, and the join rows too.
	err = again.Destroy(ctx)
	fmt.Println("destroy refused:", errors.Is(err, record.ErrReferenced))
	if err := again.Update(map[string]any{"profile": map[string]any{}}); err != nil {
		return err
	}
	if err := again.Save(ctx); err != nil {
		return err
	}
	if err := again.Destroy(ctx); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		n    func() (int64, error)
	}{
		{"users", record.Query[User](ctx).Count},
		{"roles", record.Query[UserRole](ctx).Count},
		{"permissions", record.Query[Permission](ctx).Count},
		{"detached profiles", record.Query[Profile](ctx).Where(builder.Eq{"user_id": nil}).Count},
		{"tags", record.Query[Tag](ctx).Count},
	} {
		n, err := c.n()
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d  ", c.name, n)
	}
	fmt.Println()
	return nil
}

func roles(u *User) []string {
	var out []string
	for _, r := range u.Roles {
		var ps []string
		for _, p := range r.Permissions {
			ps = append(ps, p.Name)
		}
		out = append(out, r.Role+"("+strings.Join(ps, ",")+")")
	}
	return out
}

func tags(u *User) []string {
	var out []string
	for _, t := range u.Tags {
		out = append(out, t.Name)
	}
	return out
}

func tableNames(ctx context.Context, db *session.Client) ([]string, error) {
	if err := db.Reflect(ctx); err != nil {
		return nil, err
	}
	var names []string
	for _, n := range []string{"permission", "profile", "tag", "user", "user_role", "user_tag"} {
		if _, ok := db.Tables()[n]; ok {
			names = append(names, n)
		}
	}
	return names, nil
}
