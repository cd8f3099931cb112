package server

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProtectedMode: with no password, protected-mode admits loopback
// peers only; a password or protected-mode no admits everyone. (Tests may
// only use loopback, so the non-loopback peers are addresses, not
// connections.)
func TestProtectedMode(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", Options: map[string]string{"dir": t.TempDir(), "save": ""}})
	require.NoError(t, err)
	for addr, denied := range map[string]bool{
		"127.0.0.1:5000": false, "[::1]:5000": false, "127.8.9.10:1": false,
		"10.1.2.3:5000": true, "[2001:db8::1]:5000": true, "192.168.1.5:6000": true,
	} {
		require.Equal(t, denied, s.protectedModeDenies(addr), addr)
	}
	require.NoError(t, s.cfg.Set([][2]string{{"requirepass", "x"}}))
	require.False(t, s.protectedModeDenies("10.1.2.3:5000"))
	require.NoError(t, s.cfg.Set([][2]string{{"requirepass", ""}, {"protected-mode", "no"}}))
	require.False(t, s.protectedModeDenies("10.1.2.3:5000"))
}
