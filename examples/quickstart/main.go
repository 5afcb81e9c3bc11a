// Command quickstart is the README's walk-through: define two models, open a
// SQLite file database, create the tables, then insert, fetch, serialise,
// update, upsert and destroy a user, printing each step.
//
//	go run ./examples/quickstart
//
// With -uri it runs against that database instead, e.g. a MySQL/MariaDB or
// PostgreSQL server, and drops its two tables (user, user_role) at the end:
//
//	go run ./examples/quickstart -uri 'mysql://root@127.0.0.1:3306/test'
//	go run ./examples/quickstart -uri 'postgres://root@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// User is a model: it embeds record.Base and maps its tagged fields.
type User struct {
	record.Base[User]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name,size=100"`
	Email string `db:"email,size=100,unique"`
	Phone string `db:"phone,size=10"`
}

// UserRole belongs to a User through its foreign key.
type UserRole struct {
	record.Base[UserRole]
	ID     int64  `db:"id,pk,autoincrement"`
	UserID int64  `db:"user_id,notnull,fk=user.id"`
	Role   string `db:"role,notnull,size=25"`
}

var nonDigits = regexp.MustCompile(`[^0-9]`)

// Events declares the model's event handlers; the registry calls it once.
func (User) Events(on *events.On[User]) {
	// Strip non-numeric characters from phone numbers, like the original's
	// @event.on_set("phone", retval=True).
	on.Set("phone", func(u *User, value, old any) (any, error) {
		s, _ := value.(string)
		return nonDigits.ReplaceAllString(s, ""), nil
	})
}

func main() {
	uri := flag.String("uri", "", "database URI (default: a SQLite file in a temporary directory)")
	flag.Parse()
	if err := run(*uri); err != nil {
		log.Fatal(err)
	}
}

func run(uri string) error {
	ctx := context.Background()
	server := uri != ""
	if !server {
		dir, err := os.MkdirTemp("", "sqlservice-quickstart-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		// sqlite:////abs/path is an absolute path; sqlite:///db.sql would be
		// relative to the working directory.
		uri = "sqlite:///" + filepath.Join(dir, "db.sql")
	}

	db, err := session.OpenMap(map[string]any{
		"SQL_DATABASE_URI": uri,
		"SQL_ECHO":         false,
		"SQL_POOL_SIZE":    5,
		"SQL_POOL_RECYCLE": 3600,
		"SQL_AUTOFLUSH":    true,
	})
	if err != nil {
		return err
	}
	defer db.Close()
	session.SetDefault(db)
	fmt.Println("opened", db)

	if err := db.CreateAll(ctx, User{}, UserRole{}); err != nil {
		return err
	}
	fmt.Println("created tables: user, user_role")
	if server {
		// A server outlives the program: leave it as it was found.
		defer func() {
			if err := db.DropAll(ctx, User{}, UserRole{}); err != nil {
				log.Print(err)
				return
			}
			fmt.Println("dropped tables: user, user_role")
		}()
	}

	// Insert a new record.
	user, err := record.New[User](map[string]any{"name": "Jenny", "email": "jenny@example.com", "phone": "555-867-5309"})
	if err != nil {
		return err
	}
	if err := user.Save(ctx); err != nil {
		return err
	}
	fmt.Printf("inserted user %d with phone %s\n", user.ID, user.Phone)

	// Fetch it back three ways.
	byID, err := record.Get[User](ctx, user.ID)
	if err != nil {
		return err
	}
	one, err := record.FindOne[User](ctx, builder.Eq{"email": "jenny@example.com"})
	if err != nil {
		return err
	}
	all, err := record.Find[User](ctx, builder.Eq{"name": "Jenny"})
	if err != nil {
		return err
	}
	fmt.Println("get:", byID.Name, "| find_one:", one.Email, "| find:", len(all), "row(s)")

	// Serialise.
	m := byID.ToMap()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("  %s = %v\n", k, m[k])
	}

	// Update the record and save: only the changed column is written.
	if err := byID.Update(map[string]any{"phone": "222-867-5309"}); err != nil {
		return err
	}
	fmt.Println("changed:", byID.Changed())
	if err := byID.Save(ctx); err != nil {
		return err
	}

	// Give Jenny a role.
	role := &UserRole{UserID: byID.ID, Role: "admin"}
	if err := role.Save(ctx); err != nil {
		return err
	}

	// Upsert on the primary key: the row exists, so it is updated and the
	// columns not in the map keep their values.
	upserted, err := record.Save[User](ctx, map[string]any{"id": user.ID, "name": "Jennifer"})
	if err != nil {
		return err
	}
	fmt.Printf("upserted: %s <%s> %s\n", upserted.Name, upserted.Email, upserted.Phone)

	// Destroy: the role first, then the user (by record, by key or by map).
	n, err := record.Destroy[UserRole](ctx, []*UserRole{role})
	if err != nil {
		return err
	}
	fmt.Println("destroyed roles:", n)
	n, err = record.Destroy[User](ctx, map[string]any{"id": user.ID})
	if err != nil {
		return err
	}
	count, err := record.Query[User](ctx).Count()
	if err != nil {
		return err
	}
	fmt.Println("destroyed users:", n, "| users left:", count)
	return nil
}
