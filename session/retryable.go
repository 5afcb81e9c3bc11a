package session

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// retryable reports whether a driver error is one that ErrRetryable
// matches.
func retryable(err error) bool { return classify(err).retryable }

// Retry makes Transaction run fn again, from the start, after a failure
// matching ErrRetryable, up to n more times, waiting a jittered back-off
// (a few milliseconds, doubling) between attempts. Each failed attempt is
// rolled back first, which restores the in-memory state of the records it
// wrote (generated keys cleared, snapshots as before); fields fn assigned
// keep their values, so fn should load what it changes, as it must anyway
// to see what the other transaction wrote. It never re-runs after an error
// matching ErrCommitUnknown (the attempt may have committed), nor when the
// context has ended. In a Transaction nested in another, Retry has no
// effect: the error goes to the outermost level, which may retry.
func Retry(n int) TxOption { return func(o *txOptions) { o.retries = n } }

// retryWait is the back-off before attempt (1, 2, ...): a random wait up
// to 5 ms doubled per attempt, at most a second.
func retryWait(attempt int) time.Duration {
	ceiling := min(5*time.Millisecond<<min(attempt-1, 10), time.Second)
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
}

// runRetrying runs one attempt per call of attempt until it succeeds, fails
// for good, or o.retries attempts more have failed retryably.
func runRetrying(ctx context.Context, o txOptions, attempt func() error) error {
	err := attempt()
	for i := 1; i <= o.retries && err != nil; i++ {
		if !errors.Is(err, ErrRetryable) || errors.Is(err, ErrCommitUnknown) {
			return err
		}
		t := time.NewTimer(retryWait(i))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		err = attempt()
	}
	return err
}
