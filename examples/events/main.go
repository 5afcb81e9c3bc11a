// Command events shows model events: a Set handler that normalises phone
// numbers (the original's on_set example), and an audit log written by
// AfterSave and AfterDelete hooks inside the same transaction as the row,
// so that a refused write leaves no audit entry behind.
//
//	go run ./examples/events
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// User has its phone normalised on every assignment through the API, and
// every write audited.
type User struct {
	record.Base[User]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name,size=100"`
	Phone string `db:"phone,size=20"`
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	record.Base[AuditEntry]
	ID      int64  `db:"id,pk,autoincrement"`
	UserID  int64  `db:"user_id"`
	Message string `db:"message"`
}

var nonDigits = regexp.MustCompile(`[^0-9]`)

// Events is called once, when User is registered.
func (User) Events(on *events.On[User]) {
	on.Set("phone", func(u *User, value, old any) (any, error) {
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("phone must be text, not %T", value)
		}
		return nonDigits.ReplaceAllString(s, ""), nil
	})
	on.AfterInsert(func(ctx context.Context, u *User) error {
		return audit(ctx, u, "created "+u.Name)
	})
	on.AfterUpdate(func(ctx context.Context, u *User) error {
		return audit(ctx, u, "updated "+u.Name)
	})
	on.AfterDelete(func(ctx context.Context, u *User) error {
		return audit(ctx, u, "deleted "+u.Name)
	})
}

// BeforeSave is picked up as a hook method: it refuses empty names.
func (u *User) BeforeSave(ctx context.Context) error {
	if strings.TrimSpace(u.Name) == "" {
		return errors.New("a user needs a name")
	}
	return nil
}

// audit writes through ctx, so the entry commits or rolls back with the row.
func audit(ctx context.Context, u *User, msg string) error {
	return (&AuditEntry{UserID: u.ID, Message: msg}).Save(ctx)
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "sqlservice-events-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(dir, "events.db")})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, User{}, AuditEntry{}); err != nil {
		return err
	}

	u, err := record.New[User](map[string]any{"name": "Jenny", "phone": "(555) 867-5309"})
	if err != nil {
		return err
	}
	fmt.Println("phone after New:", u.Phone)
	if err := u.Save(ctx); err != nil {
		return err
	}
	if err := u.Update(map[string]any{"phone": "+1 555 867 5309"}); err != nil {
		return err
	}
	if err := u.Save(ctx); err != nil {
		return err
	}
	fmt.Println("phone after Update:", u.Phone)

	// A refused write: BeforeSave fails, nothing is written, not even audit.
	err = (&User{Name: "  "}).Save(ctx)
	fmt.Println("refused:", err)

	if err := u.Destroy(ctx); err != nil {
		return err
	}

	entries, err := record.Query[AuditEntry](ctx).All()
	if err != nil {
		return err
	}
	fmt.Println("audit log:")
	for _, e := range entries {
		fmt.Printf("  %d user=%d %s\n", e.ID, e.UserID, e.Message)
	}
	return nil
}
