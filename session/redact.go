package session

import (
	"fmt"
	"log/slog"
)

// configFields is Config without its methods, for printing.
type configFields Config

// String prints the configuration with the password of DatabaseURI masked,
// so that logging a Config (fmt's %v and %+v, slog) never shows it.
func (c Config) String() string {
	c.DatabaseURI = MaskURI(c.DatabaseURI)
	c.Replicas = maskURIs(c.Replicas)
	c.Primaries = maskURIs(c.Primaries)
	return fmt.Sprintf("%+v", configFields(c))
}

// GoString is String for fmt's %#v.
func (c Config) GoString() string { return "session.Config" + c.String() }

// LogValue makes slog print the masked String, with any handler.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
