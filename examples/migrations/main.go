// Command migrations walks through two releases of a schema the safe way.
// Release 1's first migration is written from Diff against the empty
// database; release 2 adds a column, an index, a table and a foreign key
// and makes a column nullable. Each time Diff computes the plan, a
// migration pair is written from it (to be reviewed, then committed with
// the code), the runner applies it, and Diff finds nothing left. The last
// down file puts release 1 back.
//
// A program holds one release of its models; CustomerV1 stands in for the
// code of release 1 and is only diffed (Diff describes models without
// registering them), never used to read or write rows here.
//
//	go run ./examples/migrations
//
// With -uri it runs against that database instead (it drops its tables and
// the runner's at the end):
//
//	go run ./examples/migrations -uri 'postgres://root@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Release 1.
type CustomerV1 struct {
	record.Base[CustomerV1]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name,size=80"`
	Phone string `db:"phone,size=20"`
}

func (CustomerV1) TableName() string { return "customer" }

// Release 2: Name indexed, Phone nullable, Email added, and orders that
// reference customers.
type Customer struct {
	record.Base[Customer]
	ID    int64   `db:"id,pk,autoincrement"`
	Name  string  `db:"name,size=80,index"`
	Phone *string `db:"phone,size=20"`
	Email *string `db:"email,size=120"`
}

type Order struct {
	record.Base[Order]
	ID         int64 `db:"id,pk,autoincrement"`
	CustomerID int64 `db:"customer_id,notnull,fk=customer.id"`
	Total      int64 `db:"total,default=0"`
}

func main() {
	uri := flag.String("uri", "", "database URI (default: a SQLite file in a temporary directory)")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "sqlservice-migrations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if *uri == "" {
		*uri = "sqlite:///" + filepath.Join(tmp, "shop.db")
	}
	if err := run(*uri, filepath.Join(tmp, "migrations")); err != nil {
		log.Fatal(err)
	}
}

func run(uri, dir string) error {
	ctx := context.Background()
	db, err := session.Open(session.Config{DatabaseURI: uri})
	if err != nil {
		return err
	}
	defer db.Close()
	defer func() { // leave a server as it was
		db.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+db.Dialect().Quote("order"))
		db.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+db.Dialect().Quote("customer"))
		db.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+db.Dialect().Quote(migrate.Table))
		db.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+db.Dialect().Quote(migrate.Table+"_lock"))
	}()

	// Release 1: its first migration, from the difference between its
	// models and the empty database.
	if _, err := migration(ctx, db, dir, "release_1", CustomerV1{}); err != nil {
		return err
	}
	r, err := migrate.New(db, os.DirFS(dir))
	if err != nil {
		return err
	}
	if _, err := r.Up(ctx); err != nil {
		return err
	}
	// Release 1 ran for a while and stored a customer.
	if _, err := db.DB().ExecContext(ctx, "INSERT INTO customer (name, phone) VALUES ('Ann', '555')"); err != nil {
		return err
	}

	// Release 2: what differs?
	if _, err := migration(ctx, db, dir, "release_2", Customer{}, Order{}); err != nil {
		return err
	}

	// Deploying release 2 runs the pending migrations.
	r, err = migrate.New(db, os.DirFS(dir))
	if err != nil {
		return err
	}
	ran, err := r.Up(ctx)
	if err != nil {
		return err
	}
	fmt.Println("applied", len(ran), "migration")
	again, err := db.Diff(ctx, Customer{}, Order{})
	if err != nil {
		return err
	}
	fmt.Println("Diff after the migration is empty:", again.Empty())

	cctx := db.Context(ctx)
	ann, err := record.FindOne[Customer](cctx, builder.Eq{"name": "Ann"})
	if err != nil {
		return err
	}
	if err := (&Order{CustomerID: ann.ID, Total: 42}).Save(cctx); err != nil {
		return err
	}
	fmt.Printf("Ann (phone %s) placed an order\n", *ann.Phone)
	if err := (&Order{CustomerID: 999}).Save(cctx); err != nil {
		fmt.Println("an order of no customer is refused:", strings.Contains(err.Error(), "foreign key") || strings.Contains(strings.ToLower(err.Error()), "constraint"))
	}

	st, err := r.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range st {
		fmt.Printf("status: %04d %s applied=%v\n", s.Version, s.Name, s.Applied)
	}

	// Rolling release 2 back.
	if _, err := r.Down(ctx); err != nil {
		return err
	}
	back, err := db.Diff(ctx, CustomerV1{})
	if err != nil {
		return err
	}
	fmt.Println("after migrate down the schema is release 1 again:", back.Empty())
	return nil
}

// migration writes the next migration pair from the difference between
// models and the database, and prints what it found.
func migration(ctx context.Context, db *session.Client, dir, name string, models ...any) (migrate.Migration, error) {
	plan, err := db.Diff(ctx, models...)
	if err != nil {
		return migrate.Migration{}, err
	}
	fmt.Printf("%s: Diff found %d steps, %d destructive:\n", name, len(plan.Steps), len(plan.Destructive()))
	for _, s := range plan.Steps {
		fmt.Println("  -", s.Description)
	}
	up, down := migrate.FromPlan(plan, false)
	m, err := migrate.Create(dir, name, up, down)
	if err == nil {
		fmt.Println("wrote", m.UpFile, "and", m.DownFile)
	}
	return m, err
}
