package main

import (
	"fmt"
	"time"
)

// Stream reads. XADD is a custom test of its own (see customTests); the
// reads run against a stream filled before the test, with a consumer group
// whose consumer has ten pending entries, so that every XREADGROUP answers
// the same ten entries from its history (reading with ">" would drain the
// stream after a few thousand requests and then measure empty replies).

const (
	benchStream        = "bench:xs"
	benchStreamEntries = 100_000
)

var streamTests = map[string][]string{
	"xread_10":      {"XREAD", "COUNT", "10", "STREAMS", benchStream, "0"},
	"xrange_10":     {"XRANGE", benchStream, "-", "+", "COUNT", "10"},
	"xreadgroup_10": {"XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", benchStream, "0"},
}

func init() {
	for name, cmd := range streamTests {
		customTests[name] = cmd
		prefills[name] = fillBenchStream
	}
}

// fillBenchStream adds entries 1-1 ... n-1 (field f, a 10-byte value),
// 1000 per pipeline, creates group g and gives consumer c ten pending
// entries; it does nothing when the stream is already there.
func fillBenchStream(c *respConn) error {
	if r, err := c.do("XLEN", benchStream); err == nil && r.kind == ':' && r.num == benchStreamEntries {
		return nil
	}
	start := time.Now()
	var buf []byte
	for first := 1; first <= benchStreamEntries; first += 1000 {
		buf = buf[:0]
		n := 0
		for i := first; i < first+1000 && i <= benchStreamEntries; i++ {
			buf = appendCommand(buf, "XADD", benchStream, fmt.Sprintf("%d-1", i), "f", "0123456789")
			n++
		}
		if err := c.pipeline(buf, n); err != nil {
			return err
		}
	}
	if _, err := c.do("XGROUP", "CREATE", benchStream, "g", "0"); err != nil {
		return err
	}
	if _, err := c.do("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", benchStream, ">"); err != nil {
		return err
	}
	logf("  filled %s with %d entries in %v", benchStream, benchStreamEntries, time.Since(start).Round(time.Millisecond))
	return nil
}
