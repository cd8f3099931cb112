//go:build redisonly

package compat

import "testing"

// kiokuIsReference is true: a second redis-server stands in for Kioku, which
// self-tests the harness and the cases (every case must pass).
const kiokuIsReference = true

// startKioku starts a second redis-server in place of Kioku.
func startKioku(t testing.TB, opts ...option) *target {
	t.Helper()
	tg := startRedis(t, opts...)
	tg.name = "kioku(redis stand-in)"
	return tg
}
