package hooks

// HandlerError reports that a handler returned an error; Err is that error.
type HandlerError struct {
	Kind Kind
	Err  error
}

func (e *HandlerError) Error() string {
	return "events: " + e.Kind.String() + " handler: " + e.Err.Error()
}

// Unwrap returns the handler's own error.
func (e *HandlerError) Unwrap() error { return e.Err }
