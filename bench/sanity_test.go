package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSanity runs every operation of every library once or a few times on
// a fresh database and checks the outcome against the data with plain
// database/sql reads: ids, row counts and values. A benchmark that is fast
// because it does less, or something else, fails here.
func TestSanity(t *testing.T) {
	wantUser := func(t *testing.T, want, got PlainUser) {
		t.Helper()
		assert.Equal(t, want.ID, got.ID, "id")
		assert.Equal(t, want.Name, got.Name, "name")
		assert.Equal(t, want.Email, got.Email, "email")
		assert.Equal(t, want.Phone, got.Phone, "phone")
		assert.Equal(t, want.Age, got.Age, "age")
		assert.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	inserted := func(id int64) PlainUser { u := newUser(); u.ID = id; return u }
	run := func(t *testing.T, op string, names []string, fn func(t *testing.T, e *env, lib string)) {
		t.Run(op, func(t *testing.T) {
			for _, lib := range names {
				t.Run(lib, func(t *testing.T) { fn(t, newEnv(t), lib) })
			}
		})
	}

	run(t, "InsertOne", libs, func(t *testing.T, e *env, lib string) {
		f := insertOneLibs[lib](e)
		id1, err := f()
		require.NoError(t, err)
		id2, err := f()
		require.NoError(t, err)
		assert.Equal(t, int64(seedUsers+1), id1)
		assert.Equal(t, id1+1, id2)
		assert.Equal(t, seedUsers+2, e.count("users"))
		for _, id := range []int64{id1, id2} {
			got, err := e.user(id)
			require.NoError(t, err)
			wantUser(t, inserted(id), got)
		}
	})

	run(t, "InsertBatch100", libs, func(t *testing.T, e *env, lib string) {
		sum, err := insertBatchLibs[lib](e)()
		require.NoError(t, err)
		require.Equal(t, seedUsers+pageSize, e.count("users"))
		var want int64
		for i, p := range batchUsers {
			id := int64(seedUsers + 1 + i)
			want += id
			got, err := e.user(id)
			require.NoError(t, err)
			p.ID = id
			wantUser(t, p, got)
		}
		if lib != "sqlx" && lib != "sqlservice" { // sqlx and record.BulkInsert do not back-fill ids; the others must
			assert.Equal(t, want, sum, "sum of back-filled ids")
		}
	})

	run(t, "GetByPK", libs, func(t *testing.T, e *env, lib string) {
		f := getLibs[lib](e)
		for _, id := range []int64{1, 4321, seedUsers} {
			got, err := f(id)
			require.NoError(t, err)
			wantUser(t, seedUser(int(id-1)), got)
		}
		_, err := f(seedUsers + 1)
		assert.Error(t, err, "a missing row")
	})

	run(t, "FindMany100", libs, func(t *testing.T, e *env, lib string) {
		f := findLibs[lib](e)
		for _, after := range []int64{0, 4321, seedUsers - pageSize} {
			r, err := f(after)
			require.NoError(t, err)
			var want findResult
			for i := after; i < after+pageSize; i++ {
				want.add(seedUser(int(i)))
			}
			assert.Equal(t, want.n, r.n)
			assert.Equal(t, want.idSum, r.idSum)
			assert.Equal(t, want.ageSum, r.ageSum)
			wantUser(t, want.last, r.last)
		}
		r, err := f(seedUsers - 10)
		require.NoError(t, err)
		assert.Equal(t, 10, r.n, "a short last page")
	})

	run(t, "UpdateOne", libs, func(t *testing.T, e *env, lib string) {
		f := updateLibs[lib](e)
		for _, i := range []int{0, 1, 999, 1000, 2024} {
			id, name, err := f(i)
			require.NoError(t, err)
			wantID, wantName := updateTarget(i)
			assert.Equal(t, wantID, id)
			assert.Equal(t, wantName, name)
			got, err := e.user(id)
			require.NoError(t, err)
			want := seedUser(int(id - 1))
			want.Name = name
			wantUser(t, want, got)
		}
		untouched, err := e.user(updateSet + 1)
		require.NoError(t, err)
		wantUser(t, seedUser(updateSet), untouched)
		assert.Equal(t, seedUsers, e.count("users"))
	})

	run(t, "DeleteOne", libs, func(t *testing.T, e *env, lib string) {
		f := deleteLibs[lib](e)
		require.NoError(t, f(7))
		require.NoError(t, f(8))
		assert.Equal(t, seedUsers-2, e.count("users"))
		_, err := e.user(7)
		assert.Error(t, err, "deleted")
		got, err := e.user(9)
		require.NoError(t, err)
		wantUser(t, seedUser(8), got)
		assert.Error(t, f(7), "deleting a missing row reports it")
	})

	run(t, "Tx", libs, func(t *testing.T, e *env, lib string) {
		f := txLibs[lib](e)
		id, err := f()
		require.NoError(t, err)
		assert.Equal(t, int64(seedUsers+1), id)
		got, err := e.user(id)
		require.NoError(t, err)
		wantUser(t, inserted(id), got)
		assert.Equal(t, seedUsers+1, e.count("users"))
	})

	run(t, "ToMap", toMapNames, func(t *testing.T, e *env, lib string) {
		want := toMapLibs["handwritten"](e)()
		got := toMapLibs[lib](e)()
		require.Len(t, got, len(want))
		for k, w := range want {
			g, ok := got[k]
			require.True(t, ok, "key %q", k)
			if wt, ok := w.(time.Time); ok {
				gt, ok := g.(time.Time)
				require.True(t, ok, "%q is a %T", k, g)
				assert.True(t, wt.Equal(gt), "%q", k)
				continue
			}
			assert.Equal(t, w, g, "%q", k)
		}
	})

	run(t, "Aggregate", aggregateNames, func(t *testing.T, e *env, lib string) {
		f := aggregateLibs[lib](e)
		for _, c := range []struct {
			after   int64
			atLeast int
		}{{0, 2}, {4321, 2}, {seedUsers - 90, 2}, {seedUsers - 90, 1}} {
			r, err := f(c.after, c.atLeast)
			require.NoError(t, err)
			// Rows with id > after, grouped by age (user id i+1 is 20+i%60).
			count := map[int]int64{}
			first := map[int]int64{}
			for id := c.after + 1; id <= seedUsers; id++ {
				age := seedUser(int(id - 1)).Age
				if count[age] == 0 {
					first[age] = id
				}
				count[age]++
			}
			var want aggregateResult
			for age := 0; age < 200; age++ {
				if count[age] >= int64(c.atLeast) && count[age] > 0 {
					want.add(AgeStats{Age: age, N: count[age], FirstID: first[age]})
				}
			}
			assert.Equal(t, want, r, "after %d, at least %d", c.after, c.atLeast)
		}
	})

	run(t, "BulkDiffUpdate10k", diffNames, func(t *testing.T, e *env, lib string) {
		f := bulkDiffLibs[lib](e)
		touched := map[int]bool{} // k%10 of the rows a step changed
		for _, step := range []int{0, 1, 10, 23} {
			n, err := f(step)
			require.NoError(t, err)
			assert.Equal(t, int64(seedUsers/10), n, "step %d", step)
			touched[step%10] = true
			for k := 0; k < seedUsers; k += 7 {
				want := seedUser(k)
				got, err := e.user(int64(k + 1))
				require.NoError(t, err)
				switch name, age := diffChanged(step, k); {
				case name:
					want.Name = []string{"Changed ", "Changed again "}[step/10%2] + want.Name
					if age {
						want.Age++
					}
					wantUser(t, want, got)
				case !touched[k%10]:
					wantUser(t, want, got)
				}
			}
		}
		assert.Equal(t, seedUsers, e.count("users"))
	})

	run(t, "Preload100x10", libs, func(t *testing.T, e *env, lib string) {
		mk := preloadLibs[lib]
		e.seedAuthors()
		f := mk(e)
		for _, after := range []int64{0, 1234, seedAuthors - pageSize} {
			r, err := f(after)
			require.NoError(t, err)
			want := preloadResult{authors: pageSize, posts: pageSize * postsPer}
			for a := after + 1; a <= after+pageSize; a++ {
				for k := int64(1); k <= postsPer; k++ {
					want.postIDSum += (a-1)*postsPer + k
					want.titleLen += len(fmt.Sprintf("post %d.%d", a, k))
				}
			}
			assert.Equal(t, want, r, "after %d", after)
		}
	})
}
