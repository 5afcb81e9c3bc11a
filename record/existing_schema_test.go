package record_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// A music-store schema in the style of well-known sample databases,
// created by hand on each dialect in that database's own conventions
// (PascalCase names, application-assigned keys, naive DATETIME/TIMESTAMP
// columns, NUMERIC money, NVARCHAR where the database has it, a
// composite-key join table with a column of its own, a self-reference),
// filled with raw SQL, then worked through the library and compared with
// raw SQL.
//
// The models carry no column tags but pk: pascalSchema gives them the
// schema's names. Two are named otherwise than their tables (Sale is
// "Invoice", SaleLine "InvoiceLine", since this package has an Invoice
// model already): those need TableName and an fk= naming InvoiceId.
type pascalSchema struct{}

func (pascalSchema) Naming() registry.Naming { return registry.PascalNaming }

type (
	Artist struct {
		record.Base[Artist]
		pascalSchema
		ArtistID int64 `db:",pk"`
		Name     *string
		Albums   []*Album
	}
	Album struct {
		record.Base[Album]
		pascalSchema
		AlbumID  int64 `db:",pk"`
		Title    string
		ArtistID int64
		Artist   *Artist
		Tracks   []*Track
	}
	Track struct {
		record.Base[Track]
		pascalSchema
		TrackID   int64 `db:",pk"`
		Name      string
		AlbumID   *int64
		UnitPrice Cents
		Album     *Album
		Playlists []*Playlist `rel:"m2m=PlaylistTrack"`
	}
	Playlist struct {
		record.Base[Playlist]
		pascalSchema
		PlaylistID int64 `db:",pk"`
		Name       *string
		Tracks     []*Track         `rel:"m2m=PlaylistTrack"` // through the join model
		Entries    []*PlaylistTrack // the join rows themselves
	}
	PlaylistTrack struct {
		record.Base[PlaylistTrack]
		pascalSchema
		PlaylistID int64 `db:",pk=1"`
		TrackID    int64 `db:",pk=2"`
		AddedOn    time.Time
		Track      *Track
	}
	Employee struct {
		record.Base[Employee]
		pascalSchema
		EmployeeID int64 `db:",pk"`
		LastName   string
		ReportsTo  *int64
		HireDate   *time.Time
		Manager    *Employee   `rel:"fk=ReportsTo"`
		Reports    []*Employee `rel:"fk=ReportsTo"`
	}
	Sale struct {
		record.Base[Sale]
		pascalSchema
		InvoiceID   int64 `db:",pk"`
		InvoiceDate time.Time
		BillingCity *string
		Total       Cents
		Lines       []*SaleLine `rel:"fk=InvoiceId"`
	}
	SaleLine struct {
		record.Base[SaleLine]
		pascalSchema
		InvoiceLineID int64 `db:",pk"`
		InvoiceID     int64
		TrackID       int64
		UnitPrice     Cents
		Quantity      int
		Track         *Track
	}
)

func (Sale) TableName() string     { return "Invoice" }
func (SaleLine) TableName() string { return "InvoiceLine" }

// addedOnDefault is what PlaylistTrack's hook stamps on a link that
// Playlist.Tracks adds.
var addedOnDefault = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (e *PlaylistTrack) BeforeInsert(context.Context) error {
	if e.AddedOn.IsZero() {
		e.AddedOn = addedOnDefault
	}
	return nil
}

// musicDDL is the schema as each database's own tools would write it.
var musicDDL = map[string][]string{
	"sqlite": {
		`CREATE TABLE "Artist" ("ArtistId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(120))`,
		`CREATE TABLE "Album" ("AlbumId" INTEGER NOT NULL PRIMARY KEY, "Title" NVARCHAR(160) NOT NULL,
			"ArtistId" INTEGER NOT NULL REFERENCES "Artist" ("ArtistId"))`,
		`CREATE TABLE "Track" ("TrackId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(200) NOT NULL,
			"AlbumId" INTEGER REFERENCES "Album" ("AlbumId"), "UnitPrice" NUMERIC(10,2) NOT NULL)`,
		`CREATE TABLE "Playlist" ("PlaylistId" INTEGER NOT NULL PRIMARY KEY, "Name" NVARCHAR(120))`,
		`CREATE TABLE "PlaylistTrack" ("PlaylistId" INTEGER NOT NULL REFERENCES "Playlist" ("PlaylistId"),
			"TrackId" INTEGER NOT NULL REFERENCES "Track" ("TrackId"), "AddedOn" DATETIME NOT NULL,
			CONSTRAINT "PK_PlaylistTrack" PRIMARY KEY ("PlaylistId", "TrackId"))`,
		`CREATE TABLE "Employee" ("EmployeeId" INTEGER NOT NULL PRIMARY KEY, "LastName" NVARCHAR(20) NOT NULL,
			"ReportsTo" INTEGER REFERENCES "Employee" ("EmployeeId"), "HireDate" DATETIME)`,
		`CREATE TABLE "Invoice" ("InvoiceId" INTEGER NOT NULL PRIMARY KEY, "InvoiceDate" DATETIME NOT NULL,
			"BillingCity" NVARCHAR(40), "Total" NUMERIC(10,2) NOT NULL)`,
		`CREATE TABLE "InvoiceLine" ("InvoiceLineId" INTEGER NOT NULL PRIMARY KEY,
			"InvoiceId" INTEGER NOT NULL REFERENCES "Invoice" ("InvoiceId"),
			"TrackId" INTEGER NOT NULL REFERENCES "Track" ("TrackId"),
			"UnitPrice" NUMERIC(10,2) NOT NULL, "Quantity" INTEGER NOT NULL)`,
	},
	"mysql": {
		`CREATE TABLE Artist (ArtistId INT NOT NULL, Name NVARCHAR(120), CONSTRAINT PK_Artist PRIMARY KEY (ArtistId))`,
		`CREATE TABLE Album (AlbumId INT NOT NULL, Title NVARCHAR(160) NOT NULL, ArtistId INT NOT NULL,
			CONSTRAINT PK_Album PRIMARY KEY (AlbumId),
			CONSTRAINT FK_AlbumArtistId FOREIGN KEY (ArtistId) REFERENCES Artist (ArtistId))`,
		`CREATE TABLE Track (TrackId INT NOT NULL, Name NVARCHAR(200) NOT NULL, AlbumId INT, UnitPrice NUMERIC(10,2) NOT NULL,
			CONSTRAINT PK_Track PRIMARY KEY (TrackId),
			CONSTRAINT FK_TrackAlbumId FOREIGN KEY (AlbumId) REFERENCES Album (AlbumId))`,
		`CREATE TABLE Playlist (PlaylistId INT NOT NULL, Name NVARCHAR(120), CONSTRAINT PK_Playlist PRIMARY KEY (PlaylistId))`,
		`CREATE TABLE PlaylistTrack (PlaylistId INT NOT NULL, TrackId INT NOT NULL, AddedOn DATETIME NOT NULL,
			CONSTRAINT PK_PlaylistTrack PRIMARY KEY (PlaylistId, TrackId),
			CONSTRAINT FK_PlaylistTrackPlaylistId FOREIGN KEY (PlaylistId) REFERENCES Playlist (PlaylistId),
			CONSTRAINT FK_PlaylistTrackTrackId FOREIGN KEY (TrackId) REFERENCES Track (TrackId))`,
		`CREATE TABLE Employee (EmployeeId INT NOT NULL, LastName NVARCHAR(20) NOT NULL, ReportsTo INT, HireDate DATETIME,
			CONSTRAINT PK_Employee PRIMARY KEY (EmployeeId),
			CONSTRAINT FK_EmployeeReportsTo FOREIGN KEY (ReportsTo) REFERENCES Employee (EmployeeId))`,
		`CREATE TABLE Invoice (InvoiceId INT NOT NULL, InvoiceDate DATETIME NOT NULL, BillingCity NVARCHAR(40),
			Total NUMERIC(10,2) NOT NULL, CONSTRAINT PK_Invoice PRIMARY KEY (InvoiceId))`,
		`CREATE TABLE InvoiceLine (InvoiceLineId INT NOT NULL, InvoiceId INT NOT NULL, TrackId INT NOT NULL,
			UnitPrice NUMERIC(10,2) NOT NULL, Quantity INT NOT NULL,
			CONSTRAINT PK_InvoiceLine PRIMARY KEY (InvoiceLineId),
			CONSTRAINT FK_InvoiceLineInvoiceId FOREIGN KEY (InvoiceId) REFERENCES Invoice (InvoiceId),
			CONSTRAINT FK_InvoiceLineTrackId FOREIGN KEY (TrackId) REFERENCES Track (TrackId))`,
	},
	"postgres": {
		`CREATE TABLE "Artist" ("ArtistId" INT NOT NULL, "Name" VARCHAR(120), CONSTRAINT "PK_Artist" PRIMARY KEY ("ArtistId"))`,
		`CREATE TABLE "Album" ("AlbumId" INT NOT NULL, "Title" VARCHAR(160) NOT NULL, "ArtistId" INT NOT NULL,
			CONSTRAINT "PK_Album" PRIMARY KEY ("AlbumId"),
			CONSTRAINT "FK_AlbumArtistId" FOREIGN KEY ("ArtistId") REFERENCES "Artist" ("ArtistId"))`,
		`CREATE TABLE "Track" ("TrackId" INT NOT NULL, "Name" VARCHAR(200) NOT NULL, "AlbumId" INT, "UnitPrice" NUMERIC(10,2) NOT NULL,
			CONSTRAINT "PK_Track" PRIMARY KEY ("TrackId"),
			CONSTRAINT "FK_TrackAlbumId" FOREIGN KEY ("AlbumId") REFERENCES "Album" ("AlbumId"))`,
		`CREATE TABLE "Playlist" ("PlaylistId" INT NOT NULL, "Name" VARCHAR(120), CONSTRAINT "PK_Playlist" PRIMARY KEY ("PlaylistId"))`,
		`CREATE TABLE "PlaylistTrack" ("PlaylistId" INT NOT NULL, "TrackId" INT NOT NULL, "AddedOn" TIMESTAMP NOT NULL,
			CONSTRAINT "PK_PlaylistTrack" PRIMARY KEY ("PlaylistId", "TrackId"),
			CONSTRAINT "FK_PlaylistTrackPlaylistId" FOREIGN KEY ("PlaylistId") REFERENCES "Playlist" ("PlaylistId"),
			CONSTRAINT "FK_PlaylistTrackTrackId" FOREIGN KEY ("TrackId") REFERENCES "Track" ("TrackId"))`,
		`CREATE TABLE "Employee" ("EmployeeId" INT NOT NULL, "LastName" VARCHAR(20) NOT NULL, "ReportsTo" INT, "HireDate" TIMESTAMP,
			CONSTRAINT "PK_Employee" PRIMARY KEY ("EmployeeId"),
			CONSTRAINT "FK_EmployeeReportsTo" FOREIGN KEY ("ReportsTo") REFERENCES "Employee" ("EmployeeId"))`,
		`CREATE TABLE "Invoice" ("InvoiceId" INT NOT NULL, "InvoiceDate" TIMESTAMP NOT NULL, "BillingCity" VARCHAR(40),
			"Total" NUMERIC(10,2) NOT NULL, CONSTRAINT "PK_Invoice" PRIMARY KEY ("InvoiceId"))`,
		`CREATE TABLE "InvoiceLine" ("InvoiceLineId" INT NOT NULL, "InvoiceId" INT NOT NULL, "TrackId" INT NOT NULL,
			"UnitPrice" NUMERIC(10,2) NOT NULL, "Quantity" INT NOT NULL,
			CONSTRAINT "PK_InvoiceLine" PRIMARY KEY ("InvoiceLineId"),
			CONSTRAINT "FK_InvoiceLineInvoiceId" FOREIGN KEY ("InvoiceId") REFERENCES "Invoice" ("InvoiceId"),
			CONSTRAINT "FK_InvoiceLineTrackId" FOREIGN KEY ("TrackId") REFERENCES "Track" ("TrackId"))`,
	},
}

// musicDay is a date-only value in each database's own spelling.
var musicDay = map[string]string{
	"sqlite":   `datetime('2025-12-23')`,
	"mysql":    `TIMESTAMP('2025-12-23')`,
	"postgres": `DATE '2025-12-23'`,
}

// musicRows fill the schema as a database's tools would: naive wall-clock
// text, a date-only value (%s), money as decimal literals.
var musicRows = []string{
	`INSERT INTO "Artist" VALUES (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith')`,
	`INSERT INTO "Album" VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2), (3, 'Restless and Wild', 2), (4, 'Let There Be Rock', 1)`,
	`INSERT INTO "Track" VALUES (1, 'For Those About To Rock', 1, 0.99), (2, 'Put The Finger On You', 1, 0.99),
		(3, 'Balls to the Wall', 2, 0.99), (4, 'Fast As a Shark', 3, 0.99), (5, 'Go Down', 4, 1.99), (6, 'Walk on Water', NULL, 0.10)`,
	`INSERT INTO "Playlist" VALUES (1, 'Music'), (2, 'Heavy'), (3, 'Empty')`,
	`INSERT INTO "PlaylistTrack" VALUES (1, 1, '2025-12-22 00:00:00'), (1, 3, '2025-12-22 10:30:00'), (2, 3, %s), (2, 4, '2025-12-23 08:00:00')`,
	`INSERT INTO "Employee" VALUES (1, 'Adams', NULL, '2002-08-14 00:00:00'), (2, 'Edwards', 1, '2002-05-01 00:00:00'),
		(3, 'Peacock', 2, '2002-04-01 00:00:00'), (4, 'Park', 2, NULL)`,
	`INSERT INTO "Invoice" VALUES (1, '2025-01-01 00:00:00', 'Stuttgart', 1.98), (2, '2025-01-02 10:00:00', 'Oslo', 3.98),
		(3, '2025-01-03 23:59:59', NULL, 1.29)`,
	`INSERT INTO "InvoiceLine" VALUES (1, 1, 1, 0.99, 1), (2, 1, 3, 0.99, 1), (3, 2, 5, 1.99, 2), (4, 3, 6, 0.10, 3), (5, 3, 4, 0.99, 1)`,
}

// musicDB is one dialect's database holding the schema, with raw SQL
// helpers that write identifiers as "Name" and parameters as ?.
type musicDB struct {
	*dbtest.DB
	t *testing.T
}

func (m musicDB) sql(text string) string {
	if m.Dialect == "mysql" {
		text = strings.ReplaceAll(text, `"`, "`")
	}
	return builder.Rebind(m.Client.Dialect(), text)
}

// one reads one value with raw SQL into dest (a *string, *int64, *Cents...).
func (m musicDB) one(dest any, text string, args ...any) {
	m.t.Helper()
	require.NoError(m.t, m.DB.DB().QueryRow(m.sql(text), args...).Scan(dest), text)
}

func (m musicDB) count(text string, args ...any) int64 {
	m.t.Helper()
	var n int64
	m.one(&n, text, args...)
	return n
}

func (m musicDB) text(text string, args ...any) string {
	m.t.Helper()
	var s sql.NullString
	m.one(&s, text, args...)
	return s.String
}

// timeText is the SQL that shows a naive time column as the database
// stores it, "YYYY-MM-DD HH:MM:SS".
func (m musicDB) timeText(col string) string {
	switch m.Dialect {
	case "mysql":
		return `DATE_FORMAT("` + col + `", '%Y-%m-%d %H:%i:%s')`
	case "postgres":
		return `to_char("` + col + `", 'YYYY-MM-DD HH24:MI:SS')`
	}
	return `substr(CAST("` + col + `" AS TEXT), 1, 19)`
}

// instant reads a naive time column of the row where matches and returns
// it as the UTC instant it stands for.
func (m musicDB) instant(table, col, where string, args ...any) time.Time {
	m.t.Helper()
	s := m.text(`SELECT `+m.timeText(col)+` FROM "`+table+`" WHERE `+where, args...)
	v, err := time.Parse(time.DateTime, s)
	require.NoError(m.t, err)
	return v
}

func trackNames(ts []*Track) string {
	out := make([]string, len(ts))
	for i, tr := range ts {
		out[i] = tr.Name
	}
	return strings.Join(out, "; ")
}

func TestExistingSchemaOnEveryDialect(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		m := musicDB{DB: db, t: t}
		for _, s := range musicDDL[db.Dialect] {
			rawExec(t, db, s)
		}
		for _, s := range musicRows {
			if strings.Contains(s, "%s") {
				s = strings.Replace(s, "%s", musicDay[db.Dialect], 1)
			}
			rawExec(t, db, m.sql(s))
		}
		midnight := time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)
		plusOne := time.FixedZone("UTC+1", 3600)

		t.Run("Get, Find and Count read what the tools wrote", func(t *testing.T) {
			a, err := record.Get[Album](ctx, int64(2))
			require.NoError(t, err)
			assert.Equal(t, m.text(`SELECT "Title" FROM "Album" WHERE "AlbumId" = ?`, 2), a.Title)
			assert.EqualValues(t, 2, a.ArtistID)
			n, err := record.Query[Track](ctx).Count()
			require.NoError(t, err)
			assert.Equal(t, m.count(`SELECT COUNT(*) FROM "Track"`), n)
			cheap, err := record.Find[Track](ctx, builder.Lt{"UnitPrice": Cents(100)})
			require.NoError(t, err)
			assert.EqualValues(t, m.count(`SELECT COUNT(*) FROM "Track" WHERE "UnitPrice" < 1.00`), len(cheap))
			w, err := record.Get[Track](ctx, int64(6))
			require.NoError(t, err)
			assert.Nil(t, w.AlbumID, "NULL reads as nil")
			assert.Equal(t, Cents(10), w.UnitPrice)
		})

		t.Run("Join, Iter and Paginate agree with raw SQL", func(t *testing.T) {
			titles, err := record.Query[Album](ctx).Join("Artist").Where(builder.Eq{"Artist.Name": "AC/DC"}).OrderBy("AlbumId").Pluck("Title")
			require.NoError(t, err)
			want := m.text(`SELECT ` + m.agg(`"Title"`) + ` FROM (SELECT al."Title", al."AlbumId" AS "TrackId" FROM "Album" al JOIN "Artist" a ON a."ArtistId" = al."ArtistId" WHERE a."Name" = 'AC/DC' ORDER BY al."AlbumId") x`)
			var got []string
			for _, v := range titles {
				got = append(got, v.(string))
			}
			assert.Equal(t, want, strings.Join(got, "; "))
			var seen int64
			for tr, err := range record.Query[Track](ctx).Where(builder.NotEq{"AlbumId": nil}).Iter() {
				require.NoError(t, err)
				require.NotNil(t, tr.AlbumID)
				seen++
			}
			assert.Equal(t, m.count(`SELECT COUNT(*) FROM "Track" WHERE "AlbumId" IS NOT NULL`), seen)
			page, err := record.Query[Track](ctx).OrderBy("TrackId").Paginate(2, 4)
			require.NoError(t, err)
			assert.Equal(t, m.count(`SELECT COUNT(*) FROM "Track"`), page.Total)
			require.Len(t, page.Items, 2)
			assert.Equal(t, m.text(`SELECT "Name" FROM "Track" WHERE "TrackId" = 5`), page.Items[0].Name)
		})

		t.Run("Eq and Gt on naive times agree with raw SQL", func(t *testing.T) {
			for _, zone := range []*time.Location{time.UTC, plusOne} {
				n, err := record.Query[PlaylistTrack](ctx).Where(builder.Eq{"AddedOn": midnight.In(zone)}).Count()
				require.NoError(t, err)
				assert.Equal(t, m.count(`SELECT COUNT(*) FROM "PlaylistTrack" WHERE "AddedOn" = '2025-12-22 00:00:00'`), n, zone.String())
				assert.EqualValues(t, 1, n)
				day := time.Date(2025, 12, 23, 0, 0, 0, 0, time.UTC).In(zone)
				n, err = record.Query[PlaylistTrack](ctx).Where(builder.Eq{"AddedOn": day}).Count()
				require.NoError(t, err)
				assert.EqualValues(t, 1, n, "the date-only value the database wrote")
				late, err := record.Query[Sale](ctx).Where(builder.Gt{"InvoiceDate": time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC).In(zone)}).All()
				require.NoError(t, err)
				var ids []int64
				rows, err := db.DB().Query(m.sql(`SELECT "InvoiceId" FROM "Invoice" WHERE "InvoiceDate" > '2025-01-02 10:00:00' ORDER BY "InvoiceId"`))
				require.NoError(t, err)
				for rows.Next() {
					var id int64
					require.NoError(t, rows.Scan(&id))
					ids = append(ids, id)
				}
				require.NoError(t, rows.Close())
				assert.Equal(t, []int64{3}, ids)
				require.Len(t, late, len(ids))
				assert.Equal(t, ids[0], late[0].InvoiceID)
			}
		})

		t.Run("times read back as the instants stored", func(t *testing.T) {
			staff, err := record.Query[Employee](ctx).OrderBy("EmployeeId").All()
			require.NoError(t, err)
			require.Len(t, staff, 4)
			for _, e := range staff[:3] {
				require.NotNil(t, e.HireDate, e.LastName)
				want := m.instant("Employee", "HireDate", `"EmployeeId" = ?`, e.EmployeeID)
				assert.True(t, want.Equal(*e.HireDate), "%s: %v, raw %v", e.LastName, *e.HireDate, want)
			}
			assert.Nil(t, staff[3].HireDate)
			pt, err := record.Query[PlaylistTrack](ctx).Where(builder.Eq{"PlaylistId": 2, "TrackId": 3}).One()
			require.NoError(t, err)
			assert.True(t, time.Date(2025, 12, 23, 0, 0, 0, 0, time.UTC).Equal(pt.AddedOn), "%v", pt.AddedOn)
		})

		t.Run("Preload of belongs-to, has-many and the self-reference", func(t *testing.T) {
			artists, err := record.Query[Artist](ctx).Preload("Albums.Tracks").OrderBy("ArtistId").All()
			require.NoError(t, err)
			require.Len(t, artists, 3)
			for _, a := range artists {
				assert.EqualValues(t, m.count(`SELECT COUNT(*) FROM "Album" WHERE "ArtistId" = ?`, a.ArtistID), len(a.Albums), *a.Name)
				for _, al := range a.Albums {
					assert.EqualValues(t, m.count(`SELECT COUNT(*) FROM "Track" WHERE "AlbumId" = ?`, al.AlbumID), len(al.Tracks), al.Title)
				}
			}
			tr, err := record.Query[Track](ctx).Preload("Album.Artist").Get(int64(5))
			require.NoError(t, err)
			require.NotNil(t, tr.Album)
			assert.Equal(t, m.text(`SELECT a."Name" FROM "Track" t JOIN "Album" al ON al."AlbumId" = t."AlbumId" JOIN "Artist" a ON a."ArtistId" = al."ArtistId" WHERE t."TrackId" = 5`), *tr.Album.Artist.Name)
			e, err := record.Query[Employee](ctx).Preload("Manager", "Reports").Get(int64(2))
			require.NoError(t, err)
			assert.Equal(t, m.text(`SELECT m."LastName" FROM "Employee" e JOIN "Employee" m ON m."EmployeeId" = e."ReportsTo" WHERE e."EmployeeId" = 2`), e.Manager.LastName)
			require.Len(t, e.Reports, int(m.count(`SELECT COUNT(*) FROM "Employee" WHERE "ReportsTo" = 2`)))
			assert.Equal(t, "Peacock", e.Reports[0].LastName)
			sales, err := record.Query[Sale](ctx).Preload("Lines.Track").OrderBy("InvoiceId").All()
			require.NoError(t, err)
			require.Len(t, sales, 3)
			assert.Len(t, sales[2].Lines, int(m.count(`SELECT COUNT(*) FROM "InvoiceLine" WHERE "InvoiceId" = 3`)))
			assert.Equal(t, "Walk on Water", sales[2].Lines[0].Track.Name)
		})

		t.Run("Preload many-to-many through PlaylistTrack", func(t *testing.T) {
			lists, err := record.Query[Playlist](ctx).Preload("Tracks.Album", "Entries.Track").OrderBy("PlaylistId").All()
			require.NoError(t, err)
			require.Len(t, lists, 3)
			for _, p := range lists {
				want := m.text(`SELECT `+m.agg(`"Name"`)+` FROM (SELECT t."Name", t."TrackId" FROM "PlaylistTrack" pt JOIN "Track" t ON t."TrackId" = pt."TrackId" WHERE pt."PlaylistId" = ? ORDER BY t."TrackId") x`, p.PlaylistID)
				assert.Equal(t, want, trackNames(p.Tracks), *p.Name)
				require.Len(t, p.Entries, len(p.Tracks))
				for i, e := range p.Entries {
					assert.Equal(t, p.Tracks[i].TrackID, e.Track.TrackID)
					want := m.instant("PlaylistTrack", "AddedOn", `"PlaylistId" = ? AND "TrackId" = ?`, e.PlaylistID, e.TrackID)
					assert.True(t, want.Equal(e.AddedOn), "AddedOn of %d/%d: %v, raw %v", e.PlaylistID, e.TrackID, e.AddedOn, want)
				}
			}
			assert.Equal(t, "Balls to the Wall", lists[1].Tracks[0].Album.Title, "nested through the join")
			assert.Empty(t, lists[2].Tracks)
			tr, err := record.Query[Track](ctx).Preload("Playlists").Get(int64(3))
			require.NoError(t, err)
			assert.EqualValues(t, m.count(`SELECT COUNT(*) FROM "PlaylistTrack" WHERE "TrackId" = 3`), len(tr.Playlists), "the other side")
		})

		t.Run("money sums to the cent", func(t *testing.T) {
			var total, lines Cents
			for s, err := range record.Query[Sale](ctx).Iter() {
				require.NoError(t, err)
				var raw Cents
				m.one(&raw, `SELECT "Total" FROM "Invoice" WHERE "InvoiceId" = ?`, s.InvoiceID)
				assert.Equal(t, raw, s.Total)
				total += s.Total
			}
			ls, err := record.Query[SaleLine](ctx).All()
			require.NoError(t, err)
			for _, l := range ls {
				lines += l.UnitPrice * Cents(l.Quantity)
			}
			var rawTotal, rawLines Cents
			m.one(&rawTotal, `SELECT SUM("Total") FROM "Invoice"`)
			m.one(&rawLines, `SELECT SUM("UnitPrice" * "Quantity") FROM "InvoiceLine"`)
			assert.Equal(t, Cents(725), total)
			assert.Equal(t, rawTotal, total)
			assert.Equal(t, rawLines, lines)
		})

		t.Run("Insert, Save and Destroy, checked with raw SQL", func(t *testing.T) {
			require.NoError(t, (&Artist{ArtistID: 4, Name: new("Alanis Morissette")}).Insert(ctx))
			assert.Equal(t, "Alanis Morissette", m.text(`SELECT "Name" FROM "Artist" WHERE "ArtistId" = 4`))
			err := (&Artist{ArtistID: 1, Name: new("Impostor")}).Insert(ctx)
			assert.ErrorIs(t, err, record.ErrDuplicateKey)
			assert.Equal(t, "AC/DC", m.text(`SELECT "Name" FROM "Artist" WHERE "ArtistId" = 1`))

			// A time in another zone is stored as its UTC wall clock, money exactly.
			sale := &Sale{InvoiceID: 4, InvoiceDate: time.Date(2025, 1, 4, 9, 30, 0, 0, plusOne), Total: Cents(1_234_567_89)}
			require.NoError(t, sale.Insert(ctx))
			assert.Equal(t, "2025-01-04 08:30:00", m.text(`SELECT `+m.timeText("InvoiceDate")+` FROM "Invoice" WHERE "InvoiceId" = 4`))
			var stored Cents
			m.one(&stored, `SELECT "Total" FROM "Invoice" WHERE "InvoiceId" = 4`)
			assert.Equal(t, Cents(1_234_567_89), stored)

			tr, err := record.Get[Track](ctx, int64(6))
			require.NoError(t, err)
			tr.UnitPrice += 89 // 0.10 → 0.99
			require.NoError(t, tr.Save(ctx))
			m.one(&stored, `SELECT "UnitPrice" FROM "Track" WHERE "TrackId" = 6`)
			assert.Equal(t, Cents(99), stored)
			m.one(&stored, `SELECT SUM("UnitPrice") FROM "Track"`)
			assert.Equal(t, Cents(694), stored)

			hired := time.Date(2024, 6, 1, 8, 0, 0, 0, plusOne)
			e, err := record.Get[Employee](ctx, int64(4))
			require.NoError(t, err)
			e.HireDate = &hired
			require.NoError(t, e.Save(ctx))
			assert.True(t, hired.Equal(m.instant("Employee", "HireDate", `"EmployeeId" = 4`)))

			// Links through Playlist.Tracks are PlaylistTrack rows, with its hook.
			p, err := record.Query[Playlist](ctx).Preload("Tracks").Get(int64(1))
			require.NoError(t, err)
			require.NoError(t, p.Update(map[string]any{"tracks": []any{p.Tracks[1], tr}})) // drop track 1, add track 6
			require.NoError(t, p.Save(ctx))
			assert.Equal(t, "3; 6", m.text(`SELECT `+m.agg(`"TrackId"`)+` FROM (SELECT "TrackId" FROM "PlaylistTrack" WHERE "PlaylistId" = 1 ORDER BY "TrackId") x`))
			assert.True(t, addedOnDefault.Equal(m.instant("PlaylistTrack", "AddedOn", `"PlaylistId" = 1 AND "TrackId" = 6`)))
			assert.Equal(t, "2025-12-22 10:30:00", m.text(`SELECT `+m.timeText("AddedOn")+` FROM "PlaylistTrack" WHERE "PlaylistId" = 1 AND "TrackId" = 3`),
				"the link that stayed is untouched")

			// Destroy: a playlist takes its links along, never the tracks; a
			// manager with reports is refused by the database.
			heavy, err := record.Get[Playlist](ctx, int64(2))
			require.NoError(t, err)
			require.NoError(t, heavy.Destroy(ctx))
			assert.Zero(t, m.count(`SELECT COUNT(*) FROM "PlaylistTrack" WHERE "PlaylistId" = 2`))
			assert.Zero(t, m.count(`SELECT COUNT(*) FROM "Playlist" WHERE "PlaylistId" = 2`))
			assert.EqualValues(t, 6, m.count(`SELECT COUNT(*) FROM "Track"`))
			n, err := record.Destroy[Employee](ctx, int64(3))
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			assert.Zero(t, m.count(`SELECT COUNT(*) FROM "Employee" WHERE "EmployeeId" = 3`))
			boss, err := record.Get[Employee](ctx, int64(1))
			require.NoError(t, err)
			err = boss.Destroy(ctx)
			var re *record.ReferencedError
			assert.True(t, errors.As(err, &re), "%v", err)
			assert.EqualValues(t, 1, m.count(`SELECT COUNT(*) FROM "Employee" WHERE "EmployeeId" = 1`))
		})
	})
}

// agg is the dialect's "; "-joined aggregate of col, as text, in the order
// of the subquery's column TrackId.
func (m musicDB) agg(col string) string {
	switch m.Dialect {
	case "mysql":
		return `GROUP_CONCAT(` + col + ` ORDER BY "TrackId" SEPARATOR '; ')`
	case "postgres":
		return `string_agg(CAST(` + col + ` AS TEXT), '; ' ORDER BY "TrackId")`
	}
	return `group_concat(` + col + `, '; ')` // in the subquery's order
}
