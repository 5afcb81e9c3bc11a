package record_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlservice/sqlservice/internal/replicatest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// BenchmarkReplicaGet runs record.Get from 8 concurrent readers against a
// MariaDB primary alone, and against the same primary with a replica that
// takes the reads (internal/replicatest; needs SQLSERVICE_REPLICATION=1).
// Both servers run on this machine, sharing its cores with the benchmark.
func BenchmarkReplicaGet(b *testing.B) {
	pair := replicatest.Start(b)
	pair.CreateDatabase(b, "bench")
	primary, replica := pair.Primary.URI("bench"), pair.Replica.URI("bench")
	setup, err := session.Open(session.Config{DatabaseURI: primary})
	if err != nil {
		b.Fatal(err)
	}
	ctx := setup.Context(context.Background())
	if err := setup.CreateAll(ctx, BenchUser{}); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	users := make([]*BenchUser, benchRows)
	for i := range users {
		users[i] = &BenchUser{Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%05d@example.com", i), Phone: "555-0100", Age: i % 90, CreatedAt: now}
	}
	if _, err := record.BulkInsert[BenchUser](ctx, users); err != nil {
		b.Fatal(err)
	}
	setup.Close()
	pair.Sync(b)

	const readers = 8
	for _, tc := range []struct {
		name     string
		replicas []string
	}{
		{"servers=primary", nil},
		{"servers=primary+replica", []string{replica}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db, err := session.Open(session.Config{DatabaseURI: primary, Replicas: tc.replicas})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := db.Context(context.Background())
			var seq atomic.Int64
			b.SetParallelism((readers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := seq.Add(1)%benchRows + 1
					u, err := record.Get[BenchUser](ctx, id)
					if err != nil || u.ID != id {
						b.Error(id, err)
						return
					}
				}
			})
		})
	}
}
