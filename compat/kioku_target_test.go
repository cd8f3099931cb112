//go:build !redisonly

package compat

import (
	"testing"

	"github.com/kioku-db/kioku/server/servertest"
)

// kiokuIsReference is false: the server under test is Kioku.
const kiokuIsReference = false

// startKioku starts an embedded Kioku server on a free loopback port,
// closed by t.Cleanup.
func startKioku(t testing.TB, opts ...option) *target {
	t.Helper()
	var sopts []servertest.Option
	for _, o := range opts {
		sopts = append(sopts, servertest.WithOption(o.name, o.value))
	}
	s := servertest.Start(t, sopts...)
	return &target{name: "kioku", addr: s.Addr(), fastForward: s.FastForward, stop: func() { _ = s.Close() }}
}
