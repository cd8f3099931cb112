package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTunedGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, defaultGCPercent},              // no collection yet
		{1 << 20, maxTunedPercent},         // tiny heap: capped
		{16 << 20, 200},                    // may grow by 32 MB
		{gcHeadroom, 100},                  // may grow by 32 MB
		{2 * gcHeadroom, defaultGCPercent}, // 1.5x is 32 MB more
		{1 << 30, defaultGCPercent},        // big heap: GOGC=50
		{3 * gcHeadroom / 2, 66},           // 48 MB may grow by 32 MB (66%)
	} {
		if got := tunedGCPercent(c.live); got != c.want {
			t.Errorf("tunedGCPercent(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// The tuner acts after a collection, and stands aside once something else
// has set the percentage.
func TestTuneGCFollowsCollections(t *testing.T) {
	before := debug.SetGCPercent(defaultGCPercent)
	defer debug.SetGCPercent(before)
	tuneGC()
	percent := func() int {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return int(s[0].Value.Uint64())
	}
	deadline := time.Now().Add(10 * time.Second)
	for percent() == defaultGCPercent && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// The test binary's heap is a few megabytes: the cap applies.
	require.Equal(t, maxTunedPercent, percent())

	debug.SetGCPercent(77)
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, 77, percent())
}
