package store

// SetImportBatches shrinks the import's write batches and installs a hook run
// after every committed batch, for tests of rollback and recovery. The
// returned func restores the defaults.
func SetImportBatches(records, index int, hook func(batch int) error) (restore func()) {
	r, i, h := importBatch, importIndexBatch, importHook
	importBatch, importIndexBatch, importHook = records, index, hook
	return func() { importBatch, importIndexBatch, importHook = r, i, h }
}
