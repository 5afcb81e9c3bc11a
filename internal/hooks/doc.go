// Package hooks keeps a model's event handlers as the registry stores them
// and record fires them: untyped, keyed by kind and attribute. Package
// events is the user's side (On[T], the hook interfaces) and builds them;
// nothing here is reachable from outside the module.
package hooks
