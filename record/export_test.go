package record

// SetPreloadBatch lowers the number of keys in one preload query, so that
// tests can see batching without thousands of rows; it returns the undo.
func SetPreloadBatch(n int) (undo func()) {
	old := preloadBatch
	preloadBatch = n
	return func() { preloadBatch = old }
}

// ForgetInsertTexts empties the set of multi-row INSERTs seen, so that a
// test sees a row count's first statement as the first.
func ForgetInsertTexts() { insertTexts.forget() }
