//go:build !linux

package persistence

import "os"

// SyncData flushes a file's data to disk (fsync where fdatasync is not
// available).
func SyncData(f *os.File) error { return f.Sync() }

// SyncDataInline is SyncData.
func SyncDataInline(f *os.File) error { return f.Sync() }

// WriteInline is f.Write.
func WriteInline(f *os.File, p []byte) (int, error) { return f.Write(p) }
