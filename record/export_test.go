package record

// SetPreloadBatch lowers the number of keys in one preload query, so that
// tests can see batching without thousands of rows; it returns the undo.
func SetPreloadBatch(n int) (undo func()) {
	old := preloadBatch
	preloadBatch = n
	return func() { preloadBatch = old }
}
