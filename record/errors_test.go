package record_test

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Every typed error matches its sentinel (through its Is method) and its
// cause (through Unwrap), and errors.As reaches a typed cause.
func TestTypedErrorsMatchSentinelAndCause(t *testing.T) {
	cause := &session.ValueError{Arg: 1, Value: 2, Reason: "r"}
	cases := []struct {
		err      error
		sentinel error
	}{
		{&record.FieldError{Model: "M", Field: "F", Column: "f", Err: cause}, record.ErrInvalidValue},
		{&record.RelationError{Model: "M", Path: "R", Err: cause}, record.ErrRelation},
		{&record.ReferencedError{Model: "M", Err: cause}, record.ErrReferenced},
		{&registry.ModelError{Model: "M", Kind: registry.ErrBadTag, Err: cause}, registry.ErrBadTag},
		{&session.RollbackError{Cause: cause}, session.ErrRolledBack},
	}
	for _, tc := range cases {
		assert.ErrorIs(t, tc.err, tc.sentinel, "%T", tc.err)
		assert.ErrorIs(t, tc.err, session.ErrUnstorable, "%T: its cause's sentinel", tc.err)
		var ve *session.ValueError
		assert.ErrorAs(t, tc.err, &ve, "%T", tc.err)
		assert.NotErrorIs(t, tc.err, io.EOF, "%T", tc.err)
		assert.Same(t, cause, errors.Unwrap(tc.err), "%T: Unwrap returns the cause", tc.err)
	}
}
