package record_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Shift lives in a table the library did not create: naive timestamps
// (SQLite DATETIME, MySQL DATETIME, PostgreSQL TIMESTAMP WITHOUT TIME
// ZONE) and a text column holding times as other programs wrote them.
type Shift struct {
	record.Base[Shift]
	ShiftID  int64      `db:"ShiftId,pk"`
	Name     string     `db:"Name"`
	StartsAt time.Time  `db:"StartsAt"`
	EndsAt   *time.Time `db:"EndsAt"`
	Stamp    *time.Time `db:"Stamp"`
}

func (Shift) TableName() string { return "Shift" }

// shiftDDL is the table as each database's own tools would create it.
var shiftDDL = map[string]string{
	"sqlite":   `CREATE TABLE "Shift" ("ShiftId" INTEGER PRIMARY KEY, "Name" NVARCHAR(40) NOT NULL, "StartsAt" DATETIME NOT NULL, "EndsAt" DATETIME, "Stamp" TEXT)`,
	"mysql":    `CREATE TABLE Shift (ShiftId INT NOT NULL PRIMARY KEY, Name VARCHAR(40) NOT NULL, StartsAt DATETIME(3) NOT NULL, EndsAt DATETIME NULL, Stamp VARCHAR(40) NULL)`,
	"postgres": `CREATE TABLE "Shift" ("ShiftId" INTEGER PRIMARY KEY, "Name" VARCHAR(40) NOT NULL, "StartsAt" TIMESTAMP NOT NULL, "EndsAt" TIMESTAMP, "Stamp" VARCHAR(40))`,
}

// shiftStartsAtText is a raw SELECT of the stored StartsAt of one row as
// the database shows it, to check what the library wrote.
var shiftStartsAtText = map[string]string{
	"sqlite":   `SELECT CAST("StartsAt" AS TEXT) FROM "Shift" WHERE "ShiftId" = ?`,
	"mysql":    `SELECT DATE_FORMAT(StartsAt, '%Y-%m-%d %H:%i:%s') FROM Shift WHERE ShiftId = ?`,
	"postgres": `SELECT to_char("StartsAt", 'YYYY-MM-DD HH24:MI:SS') FROM "Shift" WHERE "ShiftId" = $1`,
}

// rawExec runs statements through the plain *sql.DB, as another program
// would.
func rawExec(t *testing.T, db *dbtest.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := db.DB().Exec(s)
		require.NoError(t, err, s)
	}
}

// q quotes an identifier in the dialect's own way.
func q(db *dbtest.DB, ident string) string {
	if db.Dialect == "mysql" {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

func TestTimesOnExistingTables(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		rawExec(t, db, shiftDDL[db.Dialect])
		shift := q(db, "Shift")
		// Values as the database's own tools write them: naive wall clocks,
		// and in the text column the forms other programs leave behind.
		rawExec(t, db,
			`INSERT INTO `+shift+` VALUES (1, 'night', '2025-12-22 00:00:00', '2025-12-22 08:00:00', '2025-12-22 00:00:00')`,
			`INSERT INTO `+shift+` VALUES (2, 'day', '2025-12-22 08:00:00', NULL, '2025-12-22T08:00:00')`,
			`INSERT INTO `+shift+` VALUES (3, 'late', '2025-12-22 16:00:00.250', NULL, '2025-12-22 16:00:00.25+00:00')`,
			`INSERT INTO `+shift+` VALUES (4, 'next', '2025-12-23 00:00:00', NULL, '2025-12-23')`,
			`INSERT INTO `+shift+` VALUES (5, 'zulu', '2025-12-23 08:00:00', NULL, '2025-12-23T09:00:00+01:00')`,
			`INSERT INTO `+shift+` VALUES (6, 'zed', '2025-12-23 16:00:00', NULL, '2025-12-23T16:00:00Z')`,
		)
		midnight := time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)

		t.Run("Eq on a time finds the rows the database's tools wrote", func(t *testing.T) {
			got, err := record.Find[Shift](ctx, builder.Eq{"StartsAt": midnight})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "night", got[0].Name)
			got, err = record.Find[Shift](ctx, builder.Eq{"StartsAt": midnight.Add(16*time.Hour + 250*time.Millisecond)})
			require.NoError(t, err)
			require.Len(t, got, 1, "fractional seconds compare too")
			assert.Equal(t, "late", got[0].Name)
		})
		t.Run("Gt and Lt on a time agree with the stored rows", func(t *testing.T) {
			n, err := record.Query[Shift](ctx).Where(builder.GtOrEq{"StartsAt": midnight.Add(8 * time.Hour)},
				builder.Lt{"StartsAt": midnight.Add(24 * time.Hour)}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
		})
		t.Run("every stored form reads back as the same instant in UTC", func(t *testing.T) {
			want := map[int64]time.Time{
				1: midnight,
				2: midnight.Add(8 * time.Hour),
				3: midnight.Add(16*time.Hour + 250*time.Millisecond),
				4: midnight.Add(24 * time.Hour),
				5: midnight.Add(32 * time.Hour),
				6: midnight.Add(40 * time.Hour),
			}
			got, err := record.Query[Shift](ctx).OrderBy("ShiftId").All()
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for _, s := range got {
				assert.True(t, want[s.ShiftID].Equal(s.StartsAt), "%s StartsAt: want %v, got %v", s.Name, want[s.ShiftID], s.StartsAt)
				require.NotNil(t, s.Stamp, s.Name)
				assert.True(t, want[s.ShiftID].Equal(*s.Stamp), "%s Stamp: want %v, got %v", s.Name, want[s.ShiftID], *s.Stamp)
				assert.Same(t, time.UTC, s.Stamp.Location())
			}
		})
		t.Run("a time in another zone is stored as its UTC wall clock", func(t *testing.T) {
			plusOne := time.FixedZone("UTC+1", 3600)
			s := &Shift{ShiftID: 10, Name: "zoned", StartsAt: midnight.In(plusOne)} // 01:00 +01:00
			require.NoError(t, s.Save(ctx))
			var stored string
			require.NoError(t, db.DB().QueryRow(shiftStartsAtText[db.Dialect], 10).Scan(&stored))
			assert.Equal(t, "2025-12-22 00:00:00", stored)
			back, err := record.Get[Shift](ctx, int64(10))
			require.NoError(t, err)
			assert.True(t, midnight.Equal(back.StartsAt), "got %v", back.StartsAt)
			n, err := record.Query[Shift](ctx).Where(builder.Eq{"StartsAt": midnight.In(plusOne)}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n, "the new row and the one the tools wrote")
		})
		t.Run("updates write the same form", func(t *testing.T) {
			s, err := record.Get[Shift](ctx, int64(2))
			require.NoError(t, err)
			s.StartsAt = midnight.Add(9 * time.Hour)
			require.NoError(t, s.Save(ctx))
			var stored string
			require.NoError(t, db.DB().QueryRow(shiftStartsAtText[db.Dialect], 2).Scan(&stored))
			assert.Equal(t, "2025-12-22 09:00:00", stored)
		})
	})
}
