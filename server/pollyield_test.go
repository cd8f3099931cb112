package server

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// After pollYield.wait, a goroutine whose socket became readable before
// the wait has been woken by the poll and, after a yield, has run: the
// wait covers a network poll, which runtime.Gosched alone does not.
func TestPollYieldWaitsForTheNetworkPoll(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	y := newPollYield()
	require.NotNil(t, y)
	defer y.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cli, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer cli.Close()
	srv, err := ln.Accept()
	require.NoError(t, err)
	defer srv.Close()

	for i := 0; i < 50; i++ {
		var got atomic.Bool
		parked := make(chan struct{})
		go func() {
			// With one processor the reader runs on until its read
			// parks; only then does the closer of parked go on.
			close(parked)
			buf := make([]byte, 1)
			if _, err := srv.Read(buf); err == nil {
				got.Store(true)
			}
		}()
		<-parked
		_, err := cli.Write([]byte("x"))
		require.NoError(t, err)
		start := time.Now()
		y.wait()
		for j := 0; j < 3 && !got.Load(); j++ {
			runtime.Gosched()
		}
		require.True(t, got.Load(), "round %d: the reader did not run after the poll", i)
		require.Less(t, time.Since(start), pollYieldTimeout, "round %d: the wait timed out instead of seeing the poll", i)
	}
}

// A missing or closed pollYield still returns.
func TestPollYieldWithoutPipe(t *testing.T) {
	var none *pollYield
	none.wait()
	y := newPollYield()
	require.NotNil(t, y)
	y.close()
	done := make(chan struct{})
	go func() { y.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("wait on a closed pollYield did not return")
	}
}
