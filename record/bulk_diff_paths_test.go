package record_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// BulkDiffUpdate finds each row's previous row whatever the order of
// either list (the previous rows' keys increasing, or not, a key given
// twice counting as its last row), and compares the same whether a row's
// values are of the fields' types or need converting, and whether its keys
// are column or field names.
func TestBulkDiffUpdateFindsPreviousRows(t *testing.T) {
	prevRow := func(id int64, text string) map[string]any {
		return map[string]any{"id": id, "name": "n", "text": text, "label": "L"}
	}
	cases := []struct {
		name       string
		previous   []map[string]any
		rows       []map[string]any
		updated    int64
		inserted   int64
		texts      map[int64]string // of rows 1..5 after the call
		statements int              // UPDATEs run
	}{
		{"both in key order, values of the fields' types",
			[]map[string]any{prevRow(1, "A"), prevRow(2, "A"), prevRow(3, "A")},
			[]map[string]any{prevRow(1, "A"), prevRow(2, "B"), prevRow(3, "C")},
			2, 0, map[int64]string{1: "A", 2: "B", 3: "C", 4: "A", 5: "A"}, 2},
		{"rows in another order than the previous rows",
			[]map[string]any{prevRow(1, "A"), prevRow(2, "A"), prevRow(3, "A"), prevRow(4, "A")},
			[]map[string]any{prevRow(4, "D"), prevRow(3, "A"), prevRow(1, "B"), prevRow(2, "A")},
			2, 0, map[int64]string{1: "B", 2: "A", 3: "A", 4: "D", 5: "A"}, 2},
		{"previous rows out of key order",
			[]map[string]any{prevRow(3, "A"), prevRow(1, "A"), prevRow(2, "A")},
			[]map[string]any{prevRow(1, "A"), prevRow(2, "B"), prevRow(3, "B")},
			2, 0, map[int64]string{1: "A", 2: "B", 3: "B", 4: "A", 5: "A"}, 1},
		{"a previous key given twice counts as its last row",
			[]map[string]any{prevRow(1, "A"), prevRow(2, "A"), prevRow(2, "Z"), prevRow(3, "A")},
			[]map[string]any{prevRow(1, "A"), prevRow(2, "Z"), prevRow(3, "A")},
			0, 0, map[int64]string{1: "A", 2: "A", 3: "A", 4: "A", 5: "A"}, 0},
		{"a previous key given twice, in increasing order elsewhere",
			[]map[string]any{prevRow(1, "A"), prevRow(2, "Z"), prevRow(2, "A"), prevRow(3, "A")},
			[]map[string]any{prevRow(1, "A"), prevRow(2, "Z"), prevRow(3, "A")},
			1, 0, map[int64]string{1: "A", 2: "Z", 3: "A", 4: "A", 5: "A"}, 1},
		{"rows that need converting or name fields, among rows that do not",
			[]map[string]any{prevRow(1, "A"), prevRow(2, "A"), {"ID": int64(3), "Name": "n", "Text": "A", "Label": "L"}, prevRow(4, "A")},
			[]map[string]any{
				{"id": 1, "text": "B"},                // an int key: converted
				{"ID": int64(2), "Text": "A"},         // field names, unchanged
				prevRow(3, "C"),                       // against a previous row of field names
				{"id": int64(4), "text": []byte("A")}, // a value to convert, unchanged
				prevRow(6, "F"),                       // no previous row: inserted
			},
			2, 1, map[int64]string{1: "B", 2: "A", 3: "C", 4: "A", 5: "A", 6: "F"}, 2},
		{"a row without a value for a column its previous row lacks is unchanged there",
			[]map[string]any{{"id": int64(1), "text": "A"}},
			[]map[string]any{{"id": int64(1), "text": "A", "label": "L"}},
			1, 0, map[int64]string{1: "A", 2: "A", 3: "A", 4: "A", 5: "A"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, dbtest.Options{Models: queryModels}, func(t *testing.T, db *dbtest.DB) {
				ctx := db.Ctx()
				seedBulk(t, db, ctx)
				since := len(db.Log())
				res, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, tc.previous, tc.rows)
				require.NoError(t, err)
				assert.Equal(t, tc.updated, res.Updated)
				assert.Equal(t, tc.inserted, res.Inserted)
				assert.Len(t, updates(db, since), tc.statements)
				assert.Equal(t, tc.texts, textsByID(t, ctx))
			})
		})
	}
}
