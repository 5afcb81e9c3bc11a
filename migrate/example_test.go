package migrate_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/session"
)

func ExampleRunner() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(dir, "books.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	files := fstest.MapFS{ // os.DirFS("migrations") or an embed.FS in a program
		"0001_books.up.sql":   {Data: []byte("CREATE TABLE book (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL);")},
		"0001_books.down.sql": {Data: []byte("DROP TABLE book;")},
		"0002_isbn.up.sql":    {Data: []byte("ALTER TABLE book ADD COLUMN isbn VARCHAR(13);\nCREATE UNIQUE INDEX uq_book_isbn ON book (isbn);")},
		"0002_isbn.down.sql":  {Data: []byte("DROP INDEX uq_book_isbn;\nALTER TABLE book DROP COLUMN isbn;")},
	}
	r, err := migrate.New(db, files)
	if err != nil {
		log.Fatal(err)
	}
	ran, err := r.Up(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range ran {
		fmt.Println("applied", m.UpFile)
	}
	undone, err := r.Down(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("undid", undone.DownFile)
	status, err := r.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range status {
		fmt.Println(s.Version, s.Name, s.Applied)
	}
	// Output:
	// applied 0001_books.up.sql
	// applied 0002_isbn.up.sql
	// undid 0002_isbn.down.sql
	// 1 books true
	// 2 isbn false
}
