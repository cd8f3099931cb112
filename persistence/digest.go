package persistence

import (
	"crypto/sha1"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// Digests of the data as Redis's DEBUG DIGEST computes them (debug.c), so
// that a digest taken before a save and after a reload can be compared, and
// compared with real Redis holding the same data. Order matters where Redis
// mixes (list elements, stream entries, databases) and not where it XORs
// (keys, set members, hash fields, sorted-set members).

// Digest is a 20-byte SHA1-based digest.
type Digest [20]byte

// Hex is the digest as DEBUG DIGEST prints it.
func (d Digest) Hex() string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, 40)
	for i, c := range d {
		b[2*i], b[2*i+1] = hexdigits[c>>4], hexdigits[c&15]
	}
	return string(b)
}

// xorDigest XORs the SHA1 of p into d.
func (d *Digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix XORs the SHA1 of p into d and replaces d by its own SHA1, so that
// the order of the mixed items matters.
func (d *Digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

func (d *Digest) mixString(s string) { d.mix([]byte(s)) }

// Redis's object type numbers (OBJ_STRING ...), mixed in as big-endian
// 32-bit words.
const (
	objString = 0
	objList   = 1
	objSet    = 2
	objZSet   = 3
	objHash   = 4
	objStream = 6
)

// DatasetDigest is DEBUG DIGEST: all zero for an empty dataset. The caller
// holds the whole keyspace.
func DatasetDigest(st *store.Store) Digest {
	var final Digest
	for i := 0; i < st.NumDBs(); i++ {
		db := st.DB(i)
		if db.Size() == 0 {
			continue
		}
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], uint32(i))
		final.mix(id[:])
		db.Each(func(e *store.Entry) bool {
			var d Digest
			d.mixString(e.Key)
			objectDigest(&d, e)
			final.xor(d[:])
			return true
		})
	}
	return final
}

// ValueDigest is one key's digest for DEBUG DIGEST-VALUE (the key's name is
// not part of it).
func ValueDigest(e *store.Entry) Digest {
	var d Digest
	objectDigest(&d, e)
	return d
}

func objectDigest(d *Digest, e *store.Entry) {
	var typ [4]byte
	switch v := e.Obj.(type) {
	case nil:
		binary.BigEndian.PutUint32(typ[:], objString)
		d.mix(typ[:])
		d.mixString(e.Str)
	case *types.List:
		binary.BigEndian.PutUint32(typ[:], objList)
		d.mix(typ[:])
		v.Each(false, func(_ int, el []byte) bool { d.mix(el); return true })
	case *types.Set:
		binary.BigEndian.PutUint32(typ[:], objSet)
		d.mix(typ[:])
		v.Each(func(m types.Member) bool { d.xor([]byte(m.String())); return true })
	case *types.ZSet:
		binary.BigEndian.PutUint32(typ[:], objZSet)
		d.mix(typ[:])
		v.Ascend(0, func(it types.ZItem) bool {
			var el Digest
			el.mixString(it.Member)
			el.mixString(formatDigestScore(it.Score))
			d.xor(el[:])
			return true
		})
	case *types.Hash:
		binary.BigEndian.PutUint32(typ[:], objHash)
		d.mix(typ[:])
		v.Each(func(f, val []byte) bool {
			var el Digest
			el.mix(f)
			el.mix(val)
			d.xor(el[:])
			return true
		})
	case *types.Stream:
		binary.BigEndian.PutUint32(typ[:], objStream)
		d.mix(typ[:])
		v.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
			d.mixString(strconv.FormatUint(id.Ms, 10) + "." + strconv.FormatUint(id.Seq, 10))
			for _, x := range fv {
				d.mix(x)
			}
			return true
		})
	}
	if e.Expire != 0 {
		d.xor([]byte("!!expire!!"))
	}
}

// formatDigestScore is C's "%.17g", which Redis 7.0 uses for the scores
// it digests.
func formatDigestScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}
