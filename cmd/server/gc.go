package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// GC pacing. GOGC=50 bounds the heap at 1.5x the live data, which is what
// a big dataset needs. A small one would pay for it in collections: each
// marks the whole live heap, and a cycle every 0.5x of a small heap comes
// every few thousand requests. With 100,000 token buckets (a 22 MB heap)
// a Lua script's 1.9 KB of garbage per call meant a collection every 5,000
// calls and 2 µs of marking per call, 8% of the server's time.
//
// So after every collection the percentage is raised until the heap may
// grow by at least gcHeadroom before the next one, and it falls back to
// defaultGCPercent once the live data exceeds gcHeadroom*2. A process
// holds at most gcHeadroom more than GOGC=50 would let it; a big dataset
// is paced exactly as before.
const (
	gcHeadroom      = 32 << 20
	maxTunedPercent = 400 // Go's minimum heap grows with the percentage too
)

// tunedGCPercent is the percentage for a heap of live bytes.
func tunedGCPercent(live uint64) int {
	p := defaultGCPercent
	if live > 0 {
		if q := gcHeadroom * 100 / live; q > uint64(p) {
			p = int(min(q, maxTunedPercent))
		}
	}
	return p
}

// gcSentinel is garbage on purpose: its finalizer runs once after each
// collection. It holds a pointer so that it is not a tiny allocation,
// whose finalizer could wait for its neighbours to die.
type gcSentinel struct{ _ *int }

// tuneGC follows every collection with tunedGCPercent. It leaves the
// percentage alone while something else has changed it (GC paused while an
// RDB file loads: server.pauseGC).
func tuneGC() {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/gogc:percent"}}
	set := defaultGCPercent
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			metrics.Read(samples)
			live, current := samples[0].Value.Uint64(), int(samples[1].Value.Uint64())
			if p := tunedGCPercent(live); current == set && p != set {
				debug.SetGCPercent(p)
				set = p
			}
			arm()
		})
	}
	arm()
}
