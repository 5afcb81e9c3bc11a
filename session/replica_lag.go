package session

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Replication lag. With Config.MaxReplicaLag, one goroutine per client
// measures every healthy replica's lag at a fixed interval (half the
// bound, between 100ms and one second) and keeps reads away from a replica
// whose lag exceeds the bound until a later measurement is within it; no
// query ever waits for a measurement. Close stops the goroutine.
//
// What is measured:
//
//   - MariaDB/MySQL: Seconds_Behind_Master of SHOW SLAVE STATUS (whole
//     seconds; the largest of several sources). NULL, which the server
//     reports while the replication threads are stopped, is an unknown lag
//     and counts as too much. A server without replication (a primary, a
//     Galera node) has no lag. The account needs the SLAVE MONITOR (or
//     REPLICATION CLIENT) privilege; without it the lag is unknown and a
//     warning names the error.
//   - PostgreSQL: on a standby, zero when it has replayed all the WAL it
//     received, else now() - pg_last_xact_replay_timestamp(): the age of
//     the last transaction it applied (so a standby whose replay is paused
//     ages from the moment the primary writes again). A server not in
//     recovery has no lag.
//   - SQLite has no replication to measure: no lag.

const (
	maxReplicaLagKey    = "SQL_MAX_REPLICA_LAG"
	lagMinInterval      = 100 * time.Millisecond
	lagMaxInterval      = time.Second
	replicaWarnLagging  = "sqlservice: replica lags behind: its reads go elsewhere"
	replicaInfoCaughtUp = "sqlservice: replica caught up"
)

// lagInterval returns how often the lag is measured for bound bound.
func lagInterval(bound time.Duration) time.Duration {
	return min(max(bound/2, lagMinInterval), lagMaxInterval)
}

// watchLag measures the replicas' lag until Close.
func (rs *replicaSet) watchLag(c *Client) {
	tick := time.NewTicker(lagInterval(rs.maxLag))
	defer tick.Stop()
	for {
		rs.measureLag(rs.stop, c)
		select {
		case <-rs.stop.Done():
			return
		case <-tick.C:
		}
	}
}

// measureLag measures the lag of every healthy replica once and records
// it; a replica whose server turns out to be down is taken out.
func (rs *replicaSet) measureLag(ctx context.Context, c *Client) {
	for _, r := range rs.list {
		if !r.healthy.Load() {
			continue // its health check brings it back; measured after that
		}
		mctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
		lag, err := c.database.replicaLag(mctx, r.db)
		cancel()
		if ctx.Err() != nil || rs.stop.Err() != nil {
			return
		}
		if err != nil && serverDown(err) {
			rs.down(c, r, fmt.Errorf("session: replication lag of %s (%s): %w", r.name, r.masked, err))
			continue
		}
		rs.setLag(c, r, lag, err)
	}
}

// setLag records a measurement: lag < 0 or err is an unknown lag, which
// counts as exceeding the bound.
func (rs *replicaSet) setLag(c *Client, r *replica, lag time.Duration, err error) {
	if err != nil {
		lag = -1
	}
	over := lag < 0 || lag > rs.maxLag
	r.lag.Store(int64(lag))
	if r.lagging.Swap(over) == over {
		return
	}
	attrs := []slog.Attr{slog.String("server", r.name), slog.String("uri", r.masked), slog.Duration("max", rs.maxLag)}
	if lag >= 0 {
		attrs = append(attrs, slog.Duration("lag", lag))
	} else if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	} else {
		attrs = append(attrs, slog.String("lag", "unknown: replication is not running"))
	}
	if over {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, replicaWarnLagging, attrs...)
	} else {
		c.log.LogAttrs(context.Background(), slog.LevelInfo, replicaInfoCaughtUp, attrs...)
	}
}
