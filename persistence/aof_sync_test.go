package persistence

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Both ways of syncing report the errors fdatasync gives, so a failed
// sync is never taken for a durable write.
func TestSyncDataReportsErrors(t *testing.T) {
	for name, sync := range map[string]func(*os.File) error{
		"SyncData": SyncData, "SyncDataInline": SyncDataInline,
	} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "appendonly.aof"))
			require.NoError(t, err)
			_, err = f.WriteString("*1\r\n$4\r\nPING\r\n")
			require.NoError(t, err)
			require.NoError(t, sync(f))

			// A pipe cannot be synced: EINVAL.
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			defer w.Close()
			require.Error(t, sync(w))

			require.NoError(t, f.Close())
			require.Error(t, sync(f))
		})
	}
}

// WriteInline writes as f.Write does and reports failures the same way,
// so the AOF's error handling (MISCONF, truncating a partial command)
// sees what it expects.
func TestWriteInlineWritesAndReportsErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "appendonly.aof")
	f, err := os.Create(path)
	require.NoError(t, err)
	big := bytes.Repeat([]byte("*1\r\n$4\r\nPING\r\n"), 100000)
	n, err := WriteInline(f, []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"))
	require.NoError(t, err)
	require.Equal(t, 23, n)
	n, err = WriteInline(f, big)
	require.NoError(t, err)
	require.Equal(t, len(big), n)
	n, err = WriteInline(f, nil)
	require.NoError(t, err)
	require.Zero(t, n)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, append([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), big...), b)

	// Opened read-only: EBADF, as a PathError naming the file.
	ro, err := os.Open(path)
	require.NoError(t, err)
	defer ro.Close()
	_, err = WriteInline(ro, []byte("x"))
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, path, pe.Path)
	_, ferr := ro.Write([]byte("x"))
	require.Equal(t, ferr.(*os.PathError).Err, pe.Err)

	require.NoError(t, f.Close())
	_, err = WriteInline(f, []byte("x"))
	require.ErrorIs(t, err, os.ErrClosed)
}
