package session

import "time"

// SetReplicaClock replaces the clock of c's replica back-off, so that tests
// move time instead of sleeping.
func SetReplicaClock(c *Client, now func() time.Time) { c.replicas.now = now }

// WaitReplicaChecks waits until the health checks that reads started have
// ended.
func WaitReplicaChecks(c *Client) { c.replicas.probes.Wait() }
