package events

import "github.com/sqlservice/sqlservice/internal/hooks"

// HandlerError reports that a handler returned an error: its Kind field
// names the event kind, its Err field is the handler's own error (Unwrap
// returns it). A Before* handler's error aborts the write and rolls its
// transaction back.
type HandlerError = hooks.HandlerError
