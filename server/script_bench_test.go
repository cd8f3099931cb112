package server

import (
	"net"
	"strconv"
	"testing"

	"github.com/kioku-db/kioku/lua"
)

// The bench harness's token bucket (bench/script.go), run by EVALSHA
// straight through execute: no socket and no RESP parsing, so what is
// measured is the scripting path alone. Exported for the end-to-end
// benchmark in cmd_script_test.go.
const BenchTokenBucketScript = `
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

func benchClient(b *testing.B) (*Server, *Client) {
	b.Helper()
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	nc, other := net.Pipe()
	b.Cleanup(func() { nc.Close(); other.Close() })
	return s, newClient(s, nc)
}

func benchRun(b *testing.B, script string, argv func(i int) [][]byte) {
	s, c := benchClient(b)
	s.execute(c, [][]byte{[]byte("SCRIPT"), []byte("LOAD"), []byte(script)})
	want := "$40\r\n" + lua.SHA1Hex([]byte(script)) + "\r\n"
	if got := string(c.w.Buffer()); got != want {
		b.Fatalf("SCRIPT LOAD answered %q", got)
	}
	c.w.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.execute(c, argv(i))
		if buf := c.w.Buffer(); len(buf) == 0 || buf[0] == '-' {
			b.Fatalf("EVALSHA answered %q", buf)
		}
		c.w.Reset()
	}
}

// BenchmarkEvalSHATokenBucketInProcess is the harness's
// evalsha_token_bucket: 100,000 random keys.
func BenchmarkEvalSHATokenBucketInProcess(b *testing.B) {
	sha := []byte(lua.SHA1Hex([]byte(BenchTokenBucketScript)))
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = []byte("bench:tb:" + strconv.Itoa(i*7919%100000))
	}
	// One argument slice, as the connection's reader reuses its own.
	args := [][]byte{[]byte("EVALSHA"), sha, []byte("1"), nil,
		[]byte("5"), []byte("1"), []byte("1700000000"), []byte("1")}
	benchRun(b, BenchTokenBucketScript, func(i int) [][]byte {
		args[3] = keys[i%len(keys)]
		return args
	})
}

// BenchmarkEvalSHAReturnOne is the fixed cost of a script: EVALSHA of
// `return 1`.
func BenchmarkEvalSHAReturnOne(b *testing.B) {
	const script = "return 1"
	sha := []byte(lua.SHA1Hex([]byte(script)))
	args := [][]byte{[]byte("EVALSHA"), sha, []byte("0")}
	benchRun(b, script, func(int) [][]byte { return args })
}
