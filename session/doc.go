// Package session owns the connection to a database (Client) and the unit of
// work a context carries (Session).
//
// A Client is opened from a Config or from the original's SQL_* keys
// (OpenMap), and is safe for concurrent use. It prepares each fixed
// statement once, logs statements through log/slog when Echo is on, and
// creates, reflects and drops the schema of registered models. Record
// operations find their client in the context (Client.Context, or the
// session of a Transaction) or fall back to the default client
// (SetDefault).
//
//	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///app.db"})
//	...
//	err = db.Transaction(ctx, func(ctx context.Context) error {
//		return user.Save(ctx) // in the transaction
//	})
//
// Transactions nest through the context: an inner Transaction joins the
// outer one unless given Savepoint(); only the outermost level commits. A
// Session belongs to one goroutine.
//
// With Config.Replicas, SELECTs outside a session run on read replicas in
// turn and everything else on the primary; Primary(ctx) forces the primary
// for read-your-writes, and a replica that stops answering is left out
// until it answers again (see Config.Replicas).
package session
