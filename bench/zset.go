package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Sorted-set workloads. ZADD and ZPOPMIN are redis-benchmark -t names; the
// others are command lines, some on a 1,000,000-member set that is filled
// before the test (rank queries are O(log n) only if the structure keeps
// ranks: on a small set any structure looks fast).

const (
	bigZSet        = "bench:zset1m"
	bigZSetMembers = 1_000_000
)

// zsetTests extend customTests.
var zsetTests = map[string][]string{
	"zincrby":          {"ZINCRBY", "bench:zset", "1", "member:__rand_int__"},
	"zrange_10":        {"ZRANGE", "bench:zset", "0", "9", "WITHSCORES"},
	"zrank_1m":         {"ZRANK", bigZSet, "member:__rand_int__"},
	"zrange_1m_middle": {"ZRANGE", bigZSet, "500000", "500009"},
	"zrangebyscore_1m": {"ZRANGEBYSCORE", bigZSet, "(500000", "+inf", "LIMIT", "0", "10"},
}

// prefills are run against a fresh server before a test that needs data.
var prefills = map[string]func(c *respConn) error{
	"zrank_1m":         fillBigZSet,
	"zrange_1m_middle": fillBigZSet,
	"zrangebyscore_1m": fillBigZSet,
}

func init() {
	for name, cmd := range zsetTests {
		customTests[name] = cmd
	}
}

// prefill runs the test's fill, if it has one and the data is not there.
func prefill(ctx context.Context, port int, test string) error {
	fill, ok := prefills[test]
	if !ok {
		return nil
	}
	c, err := dialRESP(ctx, "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	defer c.close()
	return fill(c)
}

// fillBigZSet adds member:%012d (redis-benchmark's __rand_int__ form) with
// score i for i < 1,000,000, 1000 members per ZADD, unless already there.
func fillBigZSet(c *respConn) error {
	if r, err := c.do("ZCARD", bigZSet); err == nil && r.kind == ':' && r.num == bigZSetMembers {
		return nil
	}
	start := time.Now()
	const perCommand, perBatch = 1000, 10
	var buf []byte
	args := make([]string, 0, 2+2*perCommand)
	for first := 0; first < bigZSetMembers; first += perCommand * perBatch {
		buf = buf[:0]
		n := 0
		for b := 0; b < perBatch && first+b*perCommand < bigZSetMembers; b++ {
			args = append(args[:0], "ZADD", bigZSet)
			for i := first + b*perCommand; i < first+(b+1)*perCommand; i++ {
				args = append(args, strconv.Itoa(i), fmt.Sprintf("member:%012d", i))
			}
			buf = appendCommand(buf, args...)
			n++
		}
		if err := c.pipeline(buf, n); err != nil {
			return err
		}
	}
	logf("  filled %s with %d members in %v", bigZSet, bigZSetMembers, time.Since(start).Round(time.Millisecond))
	return nil
}
