package record

import (
	"context"

	"github.com/sqlservice/sqlservice/session"
)

// Primary returns a copy of ctx whose reads run on the client's primary
// database even when it has read replicas (session.Config.Replicas). Reads
// outside a transaction — Get, Find, FindOne, Query and its All, Iter,
// First, Count, Paginate, Preload, Raw SELECTs — otherwise go to a replica
// and may not see what was committed a moment ago; use Primary to read
// your own writes. Reads inside a Transaction run on the primary without
// it. It is session.Primary.
func Primary(ctx context.Context) context.Context { return session.Primary(ctx) }
