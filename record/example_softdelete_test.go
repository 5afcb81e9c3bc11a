package record_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Note is a model whose times the library keeps: created and updated in
// the INSERT and UPDATE themselves, and a soft-delete time.
type Note struct {
	record.Base[Note]
	ID      int64      `db:"id,pk,autoincrement"`
	Text    string     `db:"text,size=100"`
	Created time.Time  `db:"created_at,autocreate"`
	Updated time.Time  `db:"updated_at,autoupdate"`
	Deleted *time.Time `db:"deleted_at,softdelete"`
}

func ExamplePurge() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Note{}); err != nil {
		log.Fatal(err)
	}
	n := &Note{Text: "draft"}
	if err := n.Save(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("times set:", !n.Created.IsZero(), n.Updated.Equal(n.Created))

	if err := n.Destroy(ctx); err != nil { // UPDATE "note" SET "deleted_at" = ? ...
		log.Fatal(err)
	}
	live, _ := record.Query[Note](ctx).Count()
	all, _ := record.Query[Note](ctx).WithDeleted().Count()
	fmt.Println("live", live, "with deleted", all, "deleted at set:", n.Deleted != nil)

	purged, err := record.Purge[Note](ctx, n.ID) // DELETE for real
	if err != nil {
		log.Fatal(err)
	}
	all, _ = record.Query[Note](ctx).WithDeleted().Count()
	fmt.Println("purged", purged, "left", all)
	// Output:
	// times set: true true
	// live 0 with deleted 1 deleted at set: true
	// purged 1 left 0
}
