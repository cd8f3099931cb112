package persistence

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// EntryEncoder encodes keys as RDB entries. It holds only options and is
// never modified by encoding, so one value may be shared by goroutines
// encoding different shards.
type EntryEncoder struct {
	Compress bool  // rdbcompression: LZF for strings longer than 20 bytes when it saves space
	SaveLRU  bool  // write RDB_OPCODE_IDLE (an LRU maxmemory-policy)
	SaveLFU  bool  // write RDB_OPCODE_FREQ (an LFU maxmemory-policy)
	NowMs    int64 // the time idle times and LFU decay are measured at
	// LFUDecayTime is lfu-decay-time, for the counter written with SaveLFU
	// (Redis saves the decayed counter); 0 writes it undecayed.
	LFUDecayTime int64
}

// AppendEntry appends one key as rdbSaveKeyValuePair writes it:
// [EXPIRETIME_MS] [IDLE | FREQ] type key value.
func (enc *EntryEncoder) AppendEntry(buf []byte, e *store.Entry) []byte {
	if e.Expire != 0 {
		buf = append(buf, rdbOpExpireTimeMs)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.Expire))
	}
	if enc.SaveLRU {
		buf = append(buf, rdbOpIdle)
		buf = appendLen(buf, uint64(store.IdleMs(e.AccessClock(), enc.NowMs)/1000))
	}
	if enc.SaveLFU {
		buf = append(buf, rdbOpFreq, byte(store.LFUDecay(e.AccessClock(), enc.NowMs, enc.LFUDecayTime)))
	}
	buf = append(buf, valueType(e))
	buf = enc.appendString(buf, viewBytes(e.Key))
	return enc.appendBody(buf, e)
}

// AppendValue appends the type byte and the value: the body of a DUMP
// payload.
func (enc *EntryEncoder) AppendValue(buf []byte, e *store.Entry) []byte {
	buf = append(buf, valueType(e))
	return enc.appendBody(buf, e)
}

// valueType is the type byte Redis 7.0 writes for the value's encoding.
func valueType(e *store.Entry) byte {
	switch v := e.Obj.(type) {
	case nil:
		return rdbTypeString
	case *types.List:
		return rdbTypeListQuicklist2
	case *types.Set:
		if v.IsIntset() {
			return rdbTypeSetIntset
		}
		return rdbTypeSet
	case *types.ZSet:
		if v.IsListpack() {
			return rdbTypeZSetListpack
		}
		return rdbTypeZSet2
	case *types.Hash:
		if v.Encoding() == "listpack" {
			return rdbTypeHashListpack
		}
		return rdbTypeHash
	case *types.Stream:
		return rdbTypeStreamListpacks2
	}
	panic(fmt.Sprintf("rdb: no RDB encoding for %T", e.Obj))
}

func (enc *EntryEncoder) appendBody(buf []byte, e *store.Entry) []byte {
	switch v := e.Obj.(type) {
	case nil:
		return enc.appendString(buf, viewBytes(e.Str))
	case *types.List:
		return enc.appendList(buf, v)
	case *types.Set:
		return enc.appendSet(buf, v)
	case *types.ZSet:
		return enc.appendZSet(buf, v)
	case *types.Hash:
		return enc.appendHash(buf, v)
	case *types.Stream:
		return enc.appendStream(buf, v)
	}
	panic(fmt.Sprintf("rdb: no RDB encoding for %T", e.Obj))
}

// appendLen writes a length as rdbSaveLen: 6, 14, 32 or 64 bits.
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n)|rdb6BitLen<<6)
	case n < 1<<14:
		return append(b, byte(n>>8)|rdb14BitLen<<6, byte(n))
	case n <= math.MaxUint32:
		b = append(b, rdb32BitLen)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, rdb64BitLen)
	return binary.BigEndian.AppendUint64(b, n)
}

// appendString writes s as rdbSaveRawString: an integer when it is a
// canonical one of at most 32 bits, LZF-compressed when enabled and worth
// it, else length and bytes.
func (enc *EntryEncoder) appendString(b, s []byte) []byte {
	return appendRDBString(b, s, enc.Compress)
}

func appendRDBString(b, s []byte, compress bool) []byte {
	if len(s) <= 11 {
		if v, ok := parseCanonicalInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			return appendEncodedInt(b, v)
		}
	}
	if compress && len(s) > 20 {
		if out, ok := appendLZFString(b, s); ok {
			return out
		}
	}
	b = appendLen(b, uint64(len(s)))
	return append(b, s...)
}

// appendEncodedInt writes v (within 32 bits) as RDB_ENC_INT8/16/32.
func appendEncodedInt(b []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, rdbEncVal<<6|rdbEncInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(b, rdbEncVal<<6|rdbEncInt16, byte(v), byte(v>>8))
	}
	return append(b, rdbEncVal<<6|rdbEncInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// appendLZFString writes s compressed (RDB_ENC_LZF, compressed length,
// original length, data) when that saves at least four bytes, as
// rdbSaveLzfStringObject.
func appendLZFString(b, s []byte) ([]byte, bool) {
	// The compressed data goes after a header of at most 1+5+5 bytes,
	// written once its length is known.
	const maxHeader = 11
	start := len(b)
	scratch := growLen(b, maxHeader)
	out, ok := lzfCompress(scratch, s, len(s)-4)
	if !ok {
		return b, false
	}
	clen := len(out) - start - maxHeader
	var hdr [maxHeader]byte
	h := append(hdr[:0], rdbEncVal<<6|rdbEncLZF)
	h = appendLen(h, uint64(clen))
	h = appendLen(h, uint64(len(s)))
	copy(out[start+len(h):], out[start+maxHeader:])
	copy(out[start:], h)
	return out[:start+len(h)+clen], true
}

func appendInt64(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// viewBytes looks at s as bytes without copying; they are only read.
func viewBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// appendScore formats a sorted-set score as d2string does for a listpack:
// an integral value within ±2^62 in decimal, any other with %.17g.
func appendScore(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "nan"...)
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	case v >= -(1<<62) && v <= 1<<62 && v == math.Trunc(v):
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', 17, 64)
}

// Quicklist node sizing, as Redis 7.0 fills nodes pushing at the tail with
// the default list-max-listpack-size -2: a node takes an element while its
// listpack, grown by the element's length and an estimated 8 bytes of
// overhead, stays within 8 KiB, and an element of a gigabyte or more gets a
// plain node.
const (
	quicklistNodeMaxBytes  = 8 << 10
	quicklistSizeOverhead  = 8
	quicklistPackThreshold = 1 << 30
)

func (enc *EntryEncoder) appendList(buf []byte, l *types.List) []byte {
	// The node count comes first: a first pass only sizes the nodes
	// (elements per node, 0 for a plain one), the second writes them.
	var counts []int
	lpBytes := 0 // of the open node, 0 when none is open
	l.Each(false, func(_ int, v []byte) bool {
		switch {
		case len(v) >= quicklistPackThreshold:
			counts = append(counts, 0)
			lpBytes = 0
			return true
		case lpBytes == 0 || lpBytes+len(v)+quicklistSizeOverhead > quicklistNodeMaxBytes:
			counts = append(counts, 0)
			lpBytes = lpHeaderSize + 1
		}
		counts[len(counts)-1]++
		lpBytes += lpElemSize(v)
		return true
	})
	buf = appendLen(buf, uint64(len(counts)))
	var lp listpackBuilder
	node, left := 0, 0
	l.Each(false, func(_ int, v []byte) bool {
		if left == 0 && counts[node] == 0 {
			buf = appendLen(buf, quicklistPlain)
			buf = enc.appendString(buf, v)
			node++
			return true
		}
		if left == 0 {
			lp.reset()
			left = counts[node]
		}
		lp.appendString(v)
		if left--; left == 0 {
			buf = appendLen(buf, quicklistPacked)
			buf = enc.appendString(buf, lp.finish())
			node++
		}
		return true
	})
	return buf
}

func (enc *EntryEncoder) appendSet(buf []byte, s *types.Set) []byte {
	if width, elems, ok := s.IntsetContents(); ok {
		blob := make([]byte, 8, 8+len(elems))
		binary.LittleEndian.PutUint32(blob, uint32(width))
		binary.LittleEndian.PutUint32(blob[4:], uint32(len(elems)/width))
		blob = append(blob, elems...)
		return enc.appendString(buf, blob)
	}
	buf = appendLen(buf, uint64(s.Len()))
	s.Each(func(m types.Member) bool {
		if n, isInt := m.Int(); isInt {
			buf = enc.appendString(buf, appendInt64(nil, n))
			return true
		}
		buf = enc.appendString(buf, viewBytes(m.String()))
		return true
	})
	return buf
}

func (enc *EntryEncoder) appendZSet(buf []byte, z *types.ZSet) []byte {
	if z.IsListpack() {
		var lp listpackBuilder
		lp.reset()
		var score []byte
		z.Ascend(0, func(it types.ZItem) bool {
			lp.appendString(viewBytes(it.Member))
			score = appendScore(score[:0], it.Score)
			lp.appendString(score)
			return true
		})
		return enc.appendString(buf, lp.finish())
	}
	// Highest first, as Redis walks its skiplist from the tail, so that
	// loading inserts each member at the head.
	buf = appendLen(buf, uint64(z.Len()))
	z.Descend(z.Len()-1, func(it types.ZItem) bool {
		buf = enc.appendString(buf, viewBytes(it.Member))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(it.Score))
		return true
	})
	return buf
}

func (enc *EntryEncoder) appendHash(buf []byte, h *types.Hash) []byte {
	if h.Encoding() == "listpack" {
		var lp listpackBuilder
		lp.reset()
		h.Each(func(f, v []byte) bool {
			lp.appendString(f)
			lp.appendString(v)
			return true
		})
		return enc.appendString(buf, lp.finish())
	}
	buf = appendLen(buf, uint64(h.Len()))
	h.Each(func(f, v []byte) bool {
		buf = enc.appendString(buf, f)
		buf = enc.appendString(buf, v)
		return true
	})
	return buf
}
