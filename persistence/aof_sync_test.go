package persistence

import (
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
