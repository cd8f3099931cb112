package persistence

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLZFRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	inputs := [][]byte{
		[]byte("aaa"),
		[]byte(strings.Repeat("a", 21)),
		[]byte(strings.Repeat("abc", 1000)),
		[]byte(strings.Repeat("the quick brown fox ", 500)),
		bytes.Repeat([]byte{0}, 70000),
	}
	// Matches near the end of the input, where liblzf's unrolled loop
	// runs past its length limit.
	for n := 17; n < 60; n++ {
		inputs = append(inputs, append([]byte("xyz"), bytes.Repeat([]byte{'q'}, n)...))
	}
	for range 200 {
		n := 3 + rnd.IntN(3000)
		b := make([]byte, n)
		alphabet := 1 + rnd.IntN(8)
		for i := range b {
			b[i] = byte('a' + rnd.IntN(alphabet))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		c, ok := lzfCompress(nil, in, len(in)+64)
		if !ok {
			t.Fatalf("%d bytes did not compress into %d", len(in), len(in)+64)
		}
		out, err := lzfDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%d bytes: round trip failed: %v", len(in), err)
		}
	}
}

func TestLZFRespectsOutputLimit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	if _, ok := lzfCompress(nil, random, len(random)-4); ok {
		t.Error("random bytes compressed by 4 bytes")
	}
	in := []byte(strings.Repeat("abcd", 100))
	c, ok := lzfCompress(nil, in, 1000)
	if !ok {
		t.Fatal("did not compress")
	}
	for limit := 0; limit < len(c); limit++ {
		if out, ok := lzfCompress(nil, in, limit); ok && len(out) > limit {
			t.Fatalf("limit %d: wrote %d bytes", limit, len(out))
		}
	}
	// Appends to what dst holds.
	out, ok := lzfCompress([]byte("prefix"), in, 1000)
	if !ok || string(out[:6]) != "prefix" || !bytes.Equal(out[6:], c) {
		t.Errorf("append: %q", out)
	}
}

// The compressed form of the strings Redis 7.0 stores: taken from DUMP.
func TestLZFMatchesRedis(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{strings.Repeat("a", 100), "\x01aa\xe0W\x00\x01aa"},
		{"the quick brown fox jumps over the lazy dog the quick brown fox", "\x1fthe quick brown fox jumps over t \x1e\alazy dog`\x0c\xe0\x04+\x01ox"},
	} {
		got, ok := lzfCompress(nil, []byte(tc.in), len(tc.in)-4)
		if !ok || string(got) != tc.want {
			t.Errorf("%.20q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLZFDecompressRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{
		{0x05, 'a'},             // literal run past the input
		{0x20, 0x00},            // back-reference before the start
		{0x00, 'a', 0xe0},       // truncated long back-reference
		{0x00, 'a', 0x20, 0x00}, // output longer than announced
	} {
		if _, err := lzfDecompress(in, 3); err == nil {
			t.Errorf("%q decompressed", in)
		}
	}
}
