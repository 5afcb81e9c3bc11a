// Package meta is the registry's implementation: it reflects model structs
// once and keeps their metadata, with the field accessors, snapshot and
// row-key plumbing that the record, session and builder packages use per
// row. Package registry names its public part; see its documentation.
package meta
