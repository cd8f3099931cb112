package cmdspec

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// getKeysCases are requests for COMMAND GETKEYS, one string each, split on
// spaces ("”" is an empty argument). They aim at the corners where the
// key specs and the getkeys functions part ways.
var getKeysCases = []string{
	"get a", "get a b", "Get A", "mset a 1 b 2", "mset a 1 b", "del a b c",
	"set k v", "set k v get", "set k v ex 10 get", "bitfield k get u8 0",
	"bitfield_ro k get u8 0", "lcs a b", "pfdebug getreg k", "copy a b",
	"rename a b", "smove a b m", "lmove a b left right", "blmove a b left right 0",
	"brpoplpush a b 0", "blpop a b 0", "bzpopmin a b 0", "watch a b", "restore k 0 v",
	"eval s 0", "eval s 2 a b", "eval s 3 a b", "eval s 1x a", "eval s -1 a",
	"eval s +1 a", "eval s 01 a", "eval s 4294967297 a", "eval s 99999999999999999999 a",
	"evalsha s 1 a", "eval_ro s 1 a", "fcall f 2 a b", "fcall_ro f 1 a", "fcall f 0",
	"zunionstore d 0 a", "zunionstore d 1x a b", "zunionstore d -1 a",
	"zunionstore d 3 a b", "zunionstore d 1 a weights 1", "zunionstore d 2 a b aggregate sum",
	"zinterstore d 2 a b", "zdiffstore d 1 a", "zdiffstore d 1x a",
	"zunion 2 a b withscores", "zinter 1 a", "zdiff 2 a b", "zdiff 2x a b",
	"zintercard 2 a b limit 1", "zintercard 0 a", "sintercard 2 a b", "sintercard 3 a b",
	"lmpop 2 a b left", "lmpop 0 a left", "lmpop 1x a left", "lmpop 5 a left",
	"blmpop 0 2 a b left count 1", "blmpop 0 x a left", "zmpop 1 a min", "bzmpop 1 1 a max",
	"sort k", "sort k store d", "sort k limit 0 1 store d store e", "sort k get store store x",
	"sort k by store", "sort k STORE", "sort k store", "sort_ro k by x get y", "sort_ro k",
	"migrate h p '' 0 5000 keys a b", "migrate h p k 0 5000 keys a b",
	"migrate h p '' 0 5000 auth keys keys a b", "migrate h p '' 0 5000 auth2 u keys keys a",
	"migrate h p k 0 5000", "migrate h p '' 0 5000 copy replace keys a",
	"migrate h p '' 0 5000", "migrate h p '' 0 5000 keys", "migrate h p k 0 5000 copy",
	"xread count 1 streams a b 0 0", "xread streams a b 0", "xread streams streams streams 0 0",
	"xread count 1 streams a", "xread block 0 streams a 0", "xread foo streams a 0",
	"xread STREAMS a 0", "xreadgroup group g c streams s 0", "xreadgroup group streams c streams s 0",
	"xreadgroup group g c count 1 streams a", "xreadgroup group g c noack streams a b 0 0",
	"georadius k 1 2 3 m store d", "georadius k 1 2 3 m store d storedist e",
	"georadius k 1 2 3 m store", "georadius k 1 2 3 m STOREDIST d count 1",
	"georadius_ro k 1 2 3 m store d", "georadiusbymember k m 3 km storedist d",
	"geosearchstore d s frommember m byradius 1 km", "geosearch s fromlonlat 1 2 byradius 1 km",
	"object encoding k", "OBJECT ENCODING k", "object freq k", "object help", "object nosuch k",
	"memory usage k", "memory usage k samples 5", "memory doctor", "xinfo stream s",
	"xinfo groups s", "xgroup create s g $", "xautoclaim s g c 0 0", "xadd s * f v",
	"ping x", "config get x", "spublish ch m", "ssubscribe a b", "subscribe a", "publish c m",
	"nosuch a", "debug object k", "command getkeys get a", "client kill x",
	"exists a b", "touch a", "unlink a", "dump k", "pfcount a b", "pfmerge d a b",
	"bitop and d a b", "msetnx a 1 b 2", "mget a b c", "renamenx a b", "rpoplpush a b",
	"sdiffstore d a b", "sunion a b", "zrangestore d s 0 1", "hset h f v",
	"getex k persist", "object idletime k", "wait 0 0", "function list",
	"xread streamſ a 0", "sort k ſtore d", "migrate h p '' 0 5000 \u212aeys a",
}

func splitCase(c string) []string {
	args := strings.Split(c, " ")
	for i, a := range args {
		if a == "''" {
			args[i] = ""
		}
	}
	return args
}

// ourGetKeys answers COMMAND GETKEYS the way the server will: the keys'
// names, or the error.
func ourGetKeys(args []string) (keys []string, errMsg string) {
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	s := LookupArgs(bargs)
	if s == nil {
		return nil, "ERR Invalid command specified"
	}
	pos, err := s.KeyPositions(bargs)
	if err != nil {
		return nil, err.Error()
	}
	keys = []string{}
	for _, p := range pos {
		keys = append(keys, args[p])
	}
	return keys, ""
}

func redisGetKeys(c *redisConn, args []string) (keys []string, errMsg string) {
	v := c.do(append([]string{"COMMAND", "GETKEYS"}, args...)...)
	if v.Kind == '-' {
		return nil, v.Str
	}
	return v.Strings(), ""
}

func TestKeyPositionsMatchGetKeys(t *testing.T) {
	c := dialRedis(t, 2)
	for _, tc := range getKeysCases {
		args := splitCase(tc)
		wantKeys, wantErr := redisGetKeys(c, args)
		gotKeys, gotErr := ourGetKeys(args)
		assert.Equal(t, wantErr, gotErr, tc)
		assert.Equal(t, wantKeys, gotKeys, tc)
	}
}

// generatedCases builds, for every command and subcommand, requests of
// the lengths around its arity with distinct filler arguments.
func generatedCases() [][]string {
	var out [][]string
	for _, name := range allNames() {
		s := Lookup(name)
		base := strings.Split(name, "|")
		n := max(s.Arity, -s.Arity)
		for extra := -1; extra <= 3; extra++ {
			if n+extra <= len(base) {
				continue
			}
			args := append([]string(nil), base...)
			for i := len(base); i < n+extra; i++ {
				args = append(args, fmt.Sprintf("a%d", i))
			}
			out = append(out, args)
		}
	}
	return out
}

func TestKeyPositionsMatchGetKeysForEveryCommand(t *testing.T) {
	c := dialRedis(t, 2)
	for _, args := range generatedCases() {
		if len(args) < 2 {
			continue // COMMAND GETKEYS needs the command and an argument
		}
		wantKeys, wantErr := redisGetKeys(c, args)
		gotKeys, gotErr := ourGetKeys(args)
		tc := strings.Join(args, " ")
		assert.Equal(t, wantErr, gotErr, tc)
		assert.Equal(t, wantKeys, gotKeys, tc)
	}
}

func TestKeyPositions(t *testing.T) {
	args := func(s string) [][]byte {
		var out [][]byte
		for _, a := range splitCase(s) {
			out = append(out, []byte(a))
		}
		return out
	}
	pos, err := Lookup("mset").KeyPositions(args("mset a 1 b 2"))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 3}, pos)

	pos, err = Lookup("zunionstore").KeyPositions(args("zunionstore d 1x a"))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 1}, pos, "the getkeys function lists the destination last")

	_, err = Lookup("zunionstore").KeyPositions(args("zunionstore d 0 a"))
	assert.ErrorIs(t, err, ErrInvalidArgs)
	pos, err = Lookup("eval").KeyPositions(args("eval s 0"))
	assert.NoError(t, err)
	assert.Empty(t, pos)
	_, err = Lookup("get").KeyPositions(args("get a b"))
	assert.ErrorIs(t, err, ErrArgCount)
	_, err = Lookup("ping").KeyPositions(args("ping"))
	assert.ErrorIs(t, err, ErrNoKeyArgs)

	dst := make([]int, 0, 8)
	out, err := Lookup("object|encoding").AppendKeyPositions(dst[:0], args("object encoding k"))
	require.NoError(t, err)
	assert.Equal(t, []int{2}, out)
	assert.Equal(t, &dst[:1][0], &out[0], "appends in place")
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{
		"": 0, "12": 12, " 12": 12, "\t-3x": -3, "+7": 7, "1x": 1, "x1": 0,
		"4294967297": 1, "2147483648": math.MinInt32,
		"99999999999999999999": -1, "-99999999999999999999": 0,
		"9223372036854775807": -1, "9223372036854775808": -1,
	} {
		assert.Equal(t, want, atoi([]byte(in)), "%q", in)
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]bool{
		"0": true, "1": true, "10": true, "9223372036854775807": true,
		"": false, "01": false, "-0": false, "-1": false, "+1": false, " 1": false,
		"1 ": false, "9223372036854775808": false, "1x": false,
	} {
		_, ok := parseCount([]byte(in))
		assert.Equal(t, want, ok, "%q", in)
	}
}

// TestMovableKeysRule documents how Redis 7.0.15 derives movablekeys: a
// key spec that is not index+range (a getkeys function alone does not
// count: SET and BITFIELD have one and are not movable).
func TestMovableKeysRule(t *testing.T) {
	for _, name := range allNames() {
		s := Lookup(name)
		movable := false
		for _, ks := range s.KeySpecs {
			if ks.BeginSearch.Type != "index" || ks.FindKeys.Type != "range" {
				movable = true
			}
		}
		assert.Equal(t, movable, s.Is(FlagMovableKeys), name)
	}
}

func BenchmarkKeyPositions(b *testing.B) {
	s := Lookup("mset")
	args := [][]byte{[]byte("mset"), []byte("a"), []byte("1"), []byte("b"), []byte("2")}
	dst := make([]int, 0, 8)
	for b.Loop() {
		dst, _ = s.AppendKeyPositions(dst[:0], args)
	}
}

func BenchmarkLookupArgs(b *testing.B) {
	args := [][]byte{[]byte("CONFIG"), []byte("Get"), []byte("maxmemory")}
	for b.Loop() {
		if LookupArgs(args) == nil {
			b.Fatal("not found")
		}
	}
}
