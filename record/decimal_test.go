package record_test

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Cents is an exact amount of money with two decimal places: the shape of
// any decimal type (such as github.com/shopspring/decimal's) that
// implements sql.Scanner and driver.Valuer.
type Cents int64

func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Value binds the amount as decimal text, which every database converts to
// its NUMERIC without going through a float.
func (c Cents) Value() (driver.Value, error) { return c.String(), nil }

// Scan reads the drivers' forms of a NUMERIC: text (MySQL, PostgreSQL) and,
// on SQLite, whose NUMERIC columns store REAL or INTEGER, float64 and int64.
func (c *Cents) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c = Cents(v * 100)
	case float64:
		*c = Cents(math.Round(v * 100))
	case []byte:
		return c.parse(string(v))
	case string:
		return c.parse(v)
	default:
		return fmt.Errorf("cents: cannot scan %T", src)
	}
	return nil
}

func (c *Cents) parse(s string) error {
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	neg := strings.HasPrefix(whole, "-")
	w, err := strconv.ParseInt(strings.TrimPrefix(whole, "-"), 10, 64)
	if err != nil {
		return fmt.Errorf("cents: %q: %w", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return fmt.Errorf("cents: %q: %w", s, err)
	}
	n := w*100 + f
	if neg {
		n = -n
	}
	*c = Cents(n)
	return nil
}

// Invoice keeps money in NUMERIC(10,2) columns, exactly and as float64.
type Invoice struct {
	record.Base[Invoice]
	ID      int64   `db:"id,pk,autoincrement"`
	Total   Cents   `db:"total,type=NUMERIC(10,2)"`
	Tip     *Cents  `db:"tip,type=NUMERIC(10,2)"`
	Approx  float64 `db:"approx,type=NUMERIC(10,2)"`
	Comment string  `db:"comment,size=20"`
}

// Payment chooses how its money looks in maps and JSON: Total as a JSON
// number (an adapter keyed by type), Fee as a string (keyed by field).
type Payment struct {
	record.Base[Payment]
	ID    int64  `db:"id,pk,autoincrement"`
	Total Cents  `db:"total,type=NUMERIC(10,2)"`
	Fee   *Cents `db:"fee,type=DECIMAL(10,2)"`
}

var paymentAdapters = record.Adapters{
	record.TypeOf[Cents](): func(v any, _ string, _ any) any { return json.Number(v.(Cents).String()) },
	"fee": func(v any, _ string, _ any) any { // a pointer field's value, dereferenced
		if v == nil {
			return nil
		}
		return v.(Cents).String()
	},
}

func (Payment) MapAdapters() record.Adapters { return paymentAdapters }

func TestExactDecimals(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Invoice{}, Payment{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		amounts := []Cents{10, 20, 99999999_99, -505, 0, 1}
		for i, a := range amounts {
			tip := a / 10
			inv := &Invoice{Total: a, Tip: &tip, Approx: float64(a) / 100, Comment: fmt.Sprint(i)}
			require.NoError(t, inv.Save(ctx))
		}

		t.Run("amounts round-trip exactly", func(t *testing.T) {
			got, err := record.Query[Invoice](ctx).OrderBy("id").All()
			require.NoError(t, err)
			require.Len(t, got, len(amounts))
			for i, inv := range got {
				assert.Equal(t, amounts[i], inv.Total)
				require.NotNil(t, inv.Tip)
				assert.Equal(t, amounts[i]/10, *inv.Tip)
			}
		})
		t.Run("sums agree with raw SQL to the cent", func(t *testing.T) {
			var sum Cents
			require.NoError(t, db.DB().QueryRow(`SELECT SUM(total) FROM invoice WHERE total BETWEEN 0 AND 1`).Scan(&sum))
			assert.Equal(t, "0.31", sum.String(), "0.10 + 0.20 + 0.01")
			var n int
			require.NoError(t, db.DB().QueryRow(`SELECT COUNT(*) FROM invoice WHERE total = 0.2`).Scan(&n))
			assert.Equal(t, 1, n)
		})
		t.Run("float64 reads the nearest float, and sums of floats drift", func(t *testing.T) {
			got, err := record.Query[Invoice](ctx).Where(builder.Or{builder.Eq{"total": Cents(10)}, builder.Eq{"total": Cents(20)}}).All()
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, []float64{0.1, 0.2}, []float64{got[0].Approx, got[1].Approx}, "each is the float nearest its decimal")
			assert.NotEqual(t, 0.3, got[0].Approx+got[1].Approx, "0.1 + 0.2 is not 0.3 in float64")
			assert.Equal(t, Cents(30), got[0].Total+got[1].Total)
		})
		t.Run("criteria bind amounts exactly", func(t *testing.T) {
			got, err := record.Find[Invoice](ctx, builder.Eq{"total": Cents(20)})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "1", got[0].Comment)
			n, err := record.Query[Invoice](ctx).Where(builder.Gt{"total": Cents(10)}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
		})
		t.Run("an update writes the exact amount", func(t *testing.T) {
			inv, err := record.FindOne[Invoice](ctx, builder.Eq{"comment": "0"})
			require.NoError(t, err)
			inv.Total += 1
			require.NoError(t, inv.Save(ctx))
			var text string
			require.NoError(t, db.DB().QueryRow(`SELECT CAST(total * 100 AS INTEGER) FROM invoice WHERE comment = '0'`).Scan(&text))
			assert.Equal(t, "11", text)
		})
		t.Run("a map value is converted through Scan", func(t *testing.T) {
			inv, err := record.New[Invoice](map[string]any{"total": "12.34", "tip": "0.5", "comment": "map"})
			require.NoError(t, err)
			assert.Equal(t, Cents(1234), inv.Total)
			assert.Equal(t, Cents(50), *inv.Tip)
			require.NoError(t, inv.Save(ctx))
		})
		t.Run("ToMap holds the value; JSON is what the type or an adapter says", func(t *testing.T) {
			inv, err := record.FindOne[Invoice](ctx, builder.Eq{"comment": "map"})
			require.NoError(t, err)
			m := inv.ToMap()
			assert.Equal(t, Cents(1234), m["total"])
			assert.Equal(t, Cents(50), m["tip"], "a pointer is dereferenced, as for other types")
			b, err := json.Marshal(inv)
			require.NoError(t, err)
			assert.Contains(t, string(b), `"total":1234`, "Cents has no MarshalJSON: its int64")
			pay := &Payment{Total: 1234, Fee: new(Cents(5))}
			require.NoError(t, pay.Save(ctx))
			got, err := record.Get[Payment](ctx, pay.ID)
			require.NoError(t, err)
			b, err = json.Marshal(got)
			require.NoError(t, err)
			assert.JSONEq(t, fmt.Sprintf(`{"id":%d,"total":12.34,"fee":"0.05"}`, pay.ID), string(b))
		})
	})
}
