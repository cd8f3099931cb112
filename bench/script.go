package main

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// EVALSHA of the seeds' token bucket: HMGET, HMSET and EXPIRE on one of
// the random keys, from a script loaded (SCRIPT LOAD) before the test.

const tokenBucketScript = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local refillRate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])
local data = redis.call('HMGET', key, 'tokens', 'lastRefill')
local tokens = tonumber(data[1]) or capacity
local lastRefill = tonumber(data[2]) or now
local newTokens = math.min(capacity, tokens + (now - lastRefill) * refillRate)
local allowed = 0
if newTokens >= requested then
  newTokens = newTokens - requested
  allowed = 1
end
redis.call('HMSET', key, 'tokens', newTokens, 'lastRefill', now)
redis.call('EXPIRE', key, math.ceil(capacity / refillRate) + 1)
return {allowed, math.floor(newTokens)}
`

func tokenBucketSHA() string {
	sum := sha1.Sum([]byte(tokenBucketScript))
	return hex.EncodeToString(sum[:])
}

func init() {
	customTests["evalsha_token_bucket"] = []string{
		"EVALSHA", tokenBucketSHA(), "1", "bench:tb:__rand_int__", "5", "1", "1700000000", "1",
	}
	prefills["evalsha_token_bucket"] = loadTokenBucket
}

func loadTokenBucket(c *respConn) error {
	r, err := c.do("SCRIPT", "LOAD", tokenBucketScript)
	if err != nil {
		return err
	}
	if r.kind != '$' || r.str != tokenBucketSHA() {
		return fmt.Errorf("SCRIPT LOAD answered %c %q", r.kind, r.str)
	}
	return nil
}
