package session_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/session"
)

func ExampleClient_Reflect() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE "Artist" ("ArtistId" INTEGER PRIMARY KEY, "Name" NVARCHAR(120) NOT NULL)`,
		`CREATE TABLE "Album" ("AlbumId" INTEGER PRIMARY KEY, "Title" NVARCHAR(160) NOT NULL DEFAULT '',
			"ArtistId" INTEGER NOT NULL REFERENCES "Artist" ("ArtistId"))`,
		`CREATE INDEX "IFK_AlbumArtistId" ON "Album" ("ArtistId")`,
	} {
		if _, err := db.DB().ExecContext(ctx, stmt); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.Reflect(ctx); err != nil {
		log.Fatal(err)
	}
	album := db.Tables()["Album"]
	for _, c := range album.Columns {
		fmt.Printf("%s %s notnull=%v default=%q generated=%v\n", c.Name, c.Type, c.NotNull, c.Default, c.AutoIncrement)
	}
	fmt.Println("primary key:", album.PrimaryKey)
	for _, ix := range album.Indexes {
		fmt.Println("index:", ix.Name, ix.Columns, "unique:", ix.Unique)
	}
	for _, fk := range album.ForeignKeys {
		fmt.Println("foreign key:", fk.Columns, "->", fk.RefTable, fk.RefColumns, "on delete", fk.OnDelete)
	}
	// Output:
	// AlbumId INTEGER notnull=false default="" generated=true
	// Title NVARCHAR(160) notnull=true default="''" generated=false
	// ArtistId INTEGER notnull=true default="" generated=false
	// primary key: [AlbumId]
	// index: IFK_AlbumArtistId [ArtistId] unique: false
	// foreign key: [ArtistId] -> Artist [ArtistId] on delete NO ACTION
}
