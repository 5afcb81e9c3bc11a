// Command existing works with a database the library did not create: a
// music-store schema in the style of well-known sample databases, created
// with its own DDL (PascalCase names, application-assigned keys, naive
// DATETIME columns, NUMERIC money, a composite-key join table with a column
// of its own, a self-referencing table) and filled as SQLite's own tools
// write values. The models map it with PascalNaming and no column tags
// (Playlist.Tracks goes through the join model PlaylistTrack);
// every result is checked against raw SQL.
//
//	go run ./examples/existing
package main

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

const schema = `
CREATE TABLE "Artist" ("ArtistId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(120));
CREATE TABLE "Album" ("AlbumId" INTEGER NOT NULL PRIMARY KEY, "Title" NVARCHAR(160) NOT NULL,
	"ArtistId" INTEGER NOT NULL REFERENCES "Artist" ("ArtistId"));
CREATE INDEX "IFK_AlbumArtistId" ON "Album" ("ArtistId");
CREATE TABLE "Track" ("TrackId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(200) NOT NULL,
	"AlbumId" INTEGER REFERENCES "Album" ("AlbumId"), "UnitPrice" NUMERIC(10,2) NOT NULL);
CREATE TABLE "Playlist" ("PlaylistId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(120));
CREATE TABLE "PlaylistTrack" ("PlaylistId" INTEGER NOT NULL REFERENCES "Playlist" ("PlaylistId"),
	"TrackId" INTEGER NOT NULL REFERENCES "Track" ("TrackId"), "AddedOn" DATETIME NOT NULL,
	CONSTRAINT "PK_PlaylistTrack" PRIMARY KEY ("PlaylistId", "TrackId"));
CREATE TABLE "Employee" ("EmployeeId" INTEGER NOT NULL PRIMARY KEY, "LastName" NVARCHAR(20) NOT NULL,
	"ReportsTo" INTEGER REFERENCES "Employee" ("EmployeeId"), "HireDate" DATETIME);

INSERT INTO "Artist" VALUES (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith');
INSERT INTO "Album" VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2), (3, 'Restless and Wild', 2), (4, 'Let There Be Rock', 1);
INSERT INTO "Track" VALUES (1, 'For Those About To Rock', 1, 0.99), (2, 'Put The Finger On You', 1, 0.99),
	(3, 'Balls to the Wall', 2, 0.99), (4, 'Fast As a Shark', 3, 0.99), (5, 'Go Down', 4, 1.99), (6, 'Walk on Water', NULL, 0.10);
INSERT INTO "Playlist" VALUES (1, 'Music'), (2, 'Heavy');
INSERT INTO "PlaylistTrack" VALUES (1, 1, '2025-12-22 00:00:00'), (1, 3, '2025-12-22 10:30:00'), (2, 3, datetime('2025-12-23')), (2, 4, '2025-12-23 08:00:00');
INSERT INTO "Employee" VALUES (1, 'Adams', NULL, '2002-08-14 00:00:00'), (2, 'Edwards', 1, '2002-05-01 00:00:00'), (3, 'Peacock', 2, '2002-04-01 00:00:00');
`

// chinook gives every model that embeds it the schema's PascalCase names:
// fields AlbumID and ArtistID are the columns AlbumId and ArtistId, and a
// relation to Artist is stored in ArtistId.
type chinook struct{}

func (chinook) Naming() registry.Naming { return registry.PascalNaming }

type Artist struct {
	record.Base[Artist]
	chinook
	ArtistID int64 `db:",pk"`
	Name     *string
	Albums   []*Album
}

func (Artist) TableName() string { return "Artist" }

type Album struct {
	record.Base[Album]
	chinook
	AlbumID  int64 `db:",pk"`
	Title    string
	ArtistID int64
	Artist   *Artist
	Tracks   []*Track
}

type Track struct {
	record.Base[Track]
	chinook
	TrackID   int64 `db:",pk"`
	Name      string
	AlbumID   *int64
	UnitPrice Money `db:",type=NUMERIC(10,2)"`
}

type Playlist struct {
	record.Base[Playlist]
	chinook
	PlaylistID int64 `db:",pk"`
	Name       *string
	Tracks     []*Track         `rel:"m2m=PlaylistTrack"` // through the join model
	Entries    []*PlaylistTrack // the join rows, with their own column
}

// PlaylistTrack is the join table, and a model of its own: its key is
// (PlaylistId, TrackId) and it records when a track was added.
type PlaylistTrack struct {
	record.Base[PlaylistTrack]
	chinook
	PlaylistID int64 `db:",pk=1"`
	TrackID    int64 `db:",pk=2"`
	AddedOn    time.Time
	Track      *Track
}

// BeforeInsert stamps a link that Playlist.Tracks adds: links are written
// as PlaylistTrack records, with its hooks.
func (e *PlaylistTrack) BeforeInsert(context.Context) error {
	if e.AddedOn.IsZero() {
		e.AddedOn = time.Now()
	}
	return nil
}

type Employee struct {
	record.Base[Employee]
	chinook
	EmployeeID int64 `db:",pk"`
	LastName   string
	ReportsTo  *int64
	HireDate   *time.Time
	Manager    *Employee   `rel:"fk=ReportsTo"`
	Reports    []*Employee `rel:"fk=ReportsTo"`
}

// Money is an exact amount with two decimal places, for the NUMERIC(10,2)
// prices. (A decimal library's type works the same: see examples/decimal.)
type Money int64

func (m Money) String() string { return fmt.Sprintf("%d.%02d", m/100, m%100) }

func (m Money) Value() (driver.Value, error) { return m.String(), nil }

func (m *Money) Scan(src any) error {
	switch v := src.(type) {
	case float64: // SQLite stores NUMERIC as REAL when it has a fraction
		*m = Money(math.Round(v * 100))
	case int64:
		*m = Money(v * 100)
	case []byte:
		return m.parse(string(v))
	case string:
		return m.parse(v)
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	return nil
}

func (m *Money) parse(s string) error {
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return err
	}
	f, err := strconv.ParseInt((frac + "00")[:2], 10, 64)
	if err != nil {
		return err
	}
	*m = Money(w*100 + f)
	return nil
}

func main() {
	dir, err := os.MkdirTemp("", "sqlservice-existing")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := run(filepath.Join(dir, "music.db")); err != nil {
		log.Fatal(err)
	}
}

func run(path string) error {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + path})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if _, err := db.DB().ExecContext(ctx, schema); err != nil {
		return err
	}
	if err := registry.Register(Artist{}, Album{}, Track{}, Playlist{}, PlaylistTrack{}, Employee{}); err != nil {
		return err
	}
	raw := func(query string, args ...any) (v string) {
		if err := db.DB().QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
			log.Fatalf("%s: %v", query, err)
		}
		return v
	}
	check := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			log.Fatalf("%s: got %v, raw SQL says %v", what, got, want)
		}
		fmt.Printf("%-44s %v\n", what, got)
	}

	// Reflect sees the schema as it is.
	if err := db.Reflect(ctx); err != nil {
		return err
	}
	pt := db.Tables()["PlaylistTrack"]
	check("PlaylistTrack primary key", pt.PrimaryKey, "[PlaylistId TrackId]")
	check("PlaylistTrack foreign keys", len(pt.ForeignKeys), 2)

	// Counts, Get, Find.
	n, err := record.Query[Track](ctx).Count()
	if err != nil {
		return err
	}
	check("tracks", n, raw(`SELECT COUNT(*) FROM "Track"`))
	a, err := record.Get[Album](ctx, 2)
	if err != nil {
		return err
	}
	check("album 2", a.Title, raw(`SELECT "Title" FROM "Album" WHERE "AlbumId" = 2`))
	cheap, err := record.Find[Track](ctx, builder.Lt{"UnitPrice": Money(100)})
	if err != nil {
		return err
	}
	check("tracks under 1.00", len(cheap), raw(`SELECT COUNT(*) FROM "Track" WHERE "UnitPrice" < 1.00`))

	// Join through the foreign key the naming found (Album.ArtistId).
	acdc, err := record.Query[Album](ctx).Join("Artist").Where(builder.Eq{"Artist.Name": "AC/DC"}).OrderBy("AlbumId").Pluck("Title")
	if err != nil {
		return err
	}
	check("AC/DC albums", acdc, "[For Those About To Rock Let There Be Rock]")

	// Preload every relation, the join model's too.
	artists, err := record.Query[Artist](ctx).Preload("Albums.Tracks").OrderBy("ArtistId").All()
	if err != nil {
		return err
	}
	check("Accept's albums", len(artists[1].Albums), raw(`SELECT COUNT(*) FROM "Album" WHERE "ArtistId" = 2`))
	playlists, err := record.Query[Playlist](ctx).Preload("Entries.Track").OrderBy("PlaylistId").All()
	if err != nil {
		return err
	}
	var names []string
	for _, e := range playlists[1].Entries {
		names = append(names, e.Track.Name+" @ "+e.AddedOn.Format(time.DateTime))
	}
	check("Heavy playlist", strings.Join(names, "; "),
		raw(`SELECT group_concat(t."Name" || ' @ ' || pt."AddedOn", '; ') FROM "PlaylistTrack" pt JOIN "Track" t USING ("TrackId") WHERE pt."PlaylistId" = 2 ORDER BY t."TrackId"`))
	staff, err := record.Query[Employee](ctx).Preload("Manager", "Reports").Where(builder.Eq{"EmployeeId": 2}).One()
	if err != nil {
		return err
	}
	check("Edwards reports to", staff.Manager.LastName, raw(`SELECT m."LastName" FROM "Employee" e JOIN "Employee" m ON m."EmployeeId" = e."ReportsTo" WHERE e."EmployeeId" = 2`))
	check("Edwards' reports", len(staff.Reports), raw(`SELECT COUNT(*) FROM "Employee" WHERE "ReportsTo" = 2`))

	// Times: the naive DATETIME text compares with bound times.
	day := time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)
	added, err := record.Query[PlaylistTrack](ctx).Where(builder.GtOrEq{"AddedOn": day}, builder.Lt{"AddedOn": day.Add(24 * time.Hour)}).Count()
	if err != nil {
		return err
	}
	check("tracks added on 2025-12-22", added, raw(`SELECT COUNT(*) FROM "PlaylistTrack" WHERE date("AddedOn") = '2025-12-22'`))
	exact, err := record.Query[PlaylistTrack](ctx).Where(builder.Eq{"AddedOn": day}).Count()
	if err != nil {
		return err
	}
	check("added at exactly midnight", exact, 1)

	// Iter and Paginate.
	var total Money
	for t, err := range record.Query[Track](ctx).Iter() {
		if err != nil {
			return err
		}
		total += t.UnitPrice
	}
	check("sum of prices (Iter, exact)", total, raw(`SELECT printf('%.2f', SUM("UnitPrice")) FROM "Track"`))
	page, err := record.Query[Track](ctx).OrderBy("TrackId").Paginate(2, 4)
	if err != nil {
		return err
	}
	check("page 2 of tracks", fmt.Sprintf("%d items of %d, %d pages", len(page.Items), page.Total, page.Pages), "2 items of 6, 2 pages")

	// Writes: Insert refuses an existing key, Save updates, the join model
	// adds and removes links, Destroy deletes; times are stored as SQLite does.
	err = (&Artist{ArtistID: 1, Name: new("Impostor")}).Insert(ctx)
	check("Insert of ArtistId 1 is a duplicate", errors.Is(err, record.ErrDuplicateKey), true)
	check("artist 1 unchanged", raw(`SELECT "Name" FROM "Artist" WHERE "ArtistId" = 1`), "AC/DC")
	if err := (&Artist{ArtistID: 4, Name: new("Alanis Morissette")}).Insert(ctx); err != nil {
		return err
	}
	link := &PlaylistTrack{PlaylistID: 2, TrackID: 5, AddedOn: time.Date(2025, 12, 24, 9, 0, 0, 0, time.FixedZone("CET", 3600))}
	if err := link.Insert(ctx); err != nil {
		return err
	}
	check("link stored as", raw(`SELECT CAST("AddedOn" AS TEXT) FROM "PlaylistTrack" WHERE "PlaylistId" = 2 AND "TrackId" = 5`), "2025-12-24 08:00:00")
	t, err := record.Get[Track](ctx, 6)
	if err != nil {
		return err
	}
	t.UnitPrice += 89 // 0.10 → 0.99
	if err := t.Save(ctx); err != nil {
		return err
	}
	check("sum after the update, to the cent", raw(`SELECT printf('%.2f', SUM("UnitPrice")) FROM "Track"`), "6.94")
	removed, err := record.Destroy[PlaylistTrack](ctx, map[string]any{"PlaylistId": 1, "TrackId": 3})
	if err != nil {
		return err
	}
	check("links removed", removed, 1)
	check("links left", raw(`SELECT COUNT(*) FROM "PlaylistTrack"`), 4)

	// Many-to-many through the join model: add a track to a playlist.
	music, err := record.Query[Playlist](ctx).Preload("Tracks").Get(1)
	if err != nil {
		return err
	}
	if err := music.Update(map[string]any{"tracks": append(music.Tracks, t)}); err != nil {
		return err
	}
	if err := music.Save(ctx); err != nil { // one PlaylistTrack row inserted, its hook run
		return err
	}
	music, err = record.Query[Playlist](ctx).Preload("Tracks").Get(1)
	if err != nil {
		return err
	}
	names = names[:0]
	for _, t := range music.Tracks {
		names = append(names, t.Name)
	}
	check("Music playlist", strings.Join(names, "; "),
		raw(`SELECT group_concat("Name", '; ') FROM (SELECT t."Name" FROM "PlaylistTrack" pt JOIN "Track" t USING ("TrackId") WHERE pt."PlaylistId" = 1 ORDER BY t."TrackId")`))
	check("the new link stamped by its hook", raw(`SELECT COUNT(*) FROM "PlaylistTrack" WHERE "TrackId" = 6 AND "AddedOn" > '2025-12-31'`), 1)
	return nil
}
