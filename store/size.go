package store

import (
	"math/bits"

	"github.com/kioku-db/kioku/types"
)

// Size estimates for memory accounting and MEMORY USAGE, in the spirit of
// Redis's objectComputeSize: what the Go structures behind a key occupy,
// with collections extrapolated from their first few elements instead of
// walked. The figures follow the structures' layouts (see the types
// package) and Go's allocation rounding; they are estimates, kept cheap
// because every write re-estimates the key it changed.

// DefaultSizeSamples is how many elements of a collection the accounting
// samples (Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES).
const DefaultSizeSamples = 5

const (
	// entryOverhead: an Entry (80 bytes) and its slot in the shard's
	// table, which holds at most one slot per entry before growing.
	entryOverhead = 80 + 8
	// Fixed parts of the collection types: the struct a key's value
	// points at and, for the large encodings, the Dict header.
	hashHeader   = 48
	setHeader    = 32
	listHeader   = 48
	zsetHeader   = 32
	streamHeader = 96
	dictHeader   = 32
	// Per element of the large encodings: a Dict entry (key string,
	// value, next pointer) and, for sorted sets, the item in the tree's
	// leaves (score and member, leaves about 3/4 full).
	hashDictEntry = 32
	setDictEntry  = 24
	zsetDictEntry = 32
	zsetTreeItem  = 32
	// listNodeOverhead: a list node's header and boundary slice; a node
	// holds up to 128 elements.
	listNodeOverhead = 64
	listNodeItems    = 128
	// streamNodeOverhead: a stream node's header; streamEntryOverhead
	// the flags and ID deltas of one entry.
	streamNodeOverhead  = 96
	streamEntryOverhead = 4
	streamGroupSize     = 128
	// otherElem is the guess for an object type the estimator does not
	// know.
	otherElem = 32
)

// allocBytes is what an allocation of n bytes takes from Go's allocator:
// small sizes round up to their size class (16-byte steps up to 512,
// then classes about 1/8 of the power of two below apart), large ones to whole 8 KiB pages.
func allocBytes(n int) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n <= 512:
		return int64((n + 15) &^ 15)
	case n <= 32<<10:
		step := 1 << (bits.Len(uint(n-1)) - 4)
		return int64((n + step - 1) &^ (step - 1))
	}
	return int64((n + 8191) &^ 8191)
}

// stringEntrySize is the accounted size of a key holding a string.
func stringEntrySize(e *Entry) int64 {
	return entryOverhead + allocBytes(len(e.Key)) + allocBytes(len(e.Str))
}

// entrySize estimates the memory of a key and its value, sampling up to
// samples elements of a collection (a non-positive count samples all).
func entrySize(e *Entry, samples int) int64 {
	if e.Obj == nil {
		return stringEntrySize(e)
	}
	// Rounded to the unit its charge is kept in (memory.go), so that
	// MEMORY USAGE reports exactly what the key is charged.
	size := entryOverhead + allocBytes(len(e.Key)) + ObjectSize(e.Obj, samples)
	return (size + chargeUnit - 1) / chargeUnit * chargeUnit
}

// ObjectSize estimates the memory of a non-string value.
func ObjectSize(obj any, samples int) int64 {
	if samples <= 0 {
		samples = int(^uint(0) >> 1)
	}
	switch o := obj.(type) {
	case *types.Hash:
		return hashSize(o, samples)
	case *types.Set:
		return setSize(o, samples)
	case *types.List:
		return listSize(o, samples)
	case *types.ZSet:
		return zsetSize(o, samples)
	case streamSampler:
		return streamSize(o, samples)
	case interface{ Len() int }:
		return 64 + int64(o.Len())*otherElem
	}
	return 64
}

// extrapolate scales the bytes of the sampled elements to n elements.
func extrapolate(sampledBytes int64, sampled, n int) int64 {
	if sampled == 0 {
		return 0
	}
	return sampledBytes * int64(n) / int64(sampled)
}

func uvarintLen(n int) int { return bits.Len(uint(n))/7 + 1 }

// tableBytes is a Dict's bucket array for n elements (a power of two,
// at least 4).
func tableBytes(n int) int64 {
	size := 4
	if n > 4 {
		size = 1 << bits.Len(uint(n-1))
	}
	return int64(size) * 8
}

func hashSize(h *types.Hash, samples int) int64 {
	n := h.Len()
	packed := h.Encoding() == "listpack"
	var sum int64
	sampled := 0
	h.Each(func(f, v []byte) bool {
		pair := len(f) + len(v) + uvarintLen(len(f)) + uvarintLen(len(v))
		if packed {
			sum += int64(pair)
		} else {
			// Each pair is one allocation (types.packPair) and a Dict entry.
			sum += allocBytes(pair) + hashDictEntry
		}
		sampled++
		return sampled < samples
	})
	if packed {
		return hashHeader + allocBytes(int(extrapolate(sum, sampled, n)))
	}
	return hashHeader + dictHeader + tableBytes(n) + extrapolate(sum, sampled, n)
}

func setSize(s *types.Set, samples int) int64 {
	n := s.Len()
	if s.IsIntset() {
		width := 2
		sampled := 0
		s.Each(func(m types.Member) bool {
			v, _ := m.Int()
			width = max(width, intsetWidth(v))
			sampled++
			return sampled < samples
		})
		return setHeader + allocBytes(1+n*width)
	}
	var sum int64
	sampled := 0
	s.Each(func(m types.Member) bool {
		sum += allocBytes(len(m.String())) + setDictEntry
		sampled++
		return sampled < samples
	})
	return setHeader + dictHeader + tableBytes(n) + extrapolate(sum, sampled, n)
}

func intsetWidth(v int64) int {
	switch {
	case v >= -1<<15 && v < 1<<15:
		return 2
	case v >= -1<<31 && v < 1<<31:
		return 4
	}
	return 8
}

func listSize(l *types.List, samples int) int64 {
	n := l.Len()
	var sum int64
	sampled := 0
	l.Each(false, func(_ int, v []byte) bool {
		sum += int64(len(v)) + 2 // the element and its 16-bit boundary
		sampled++
		return sampled < samples
	})
	nodes := int64(n+listNodeItems-1) / listNodeItems
	return listHeader + nodes*listNodeOverhead + extrapolate(sum, sampled, n)
}

func zsetSize(z *types.ZSet, samples int) int64 {
	n := z.Len()
	packed := z.IsListpack()
	var sum int64
	sampled := 0
	z.Ascend(0, func(it types.ZItem) bool {
		if packed {
			// The score (a varint or 9 bytes) and the member with its length.
			sum += int64(len(it.Member)+uvarintLen(len(it.Member))) + 5
		} else {
			sum += allocBytes(len(it.Member)) + zsetDictEntry + zsetTreeItem
		}
		sampled++
		return sampled < samples
	})
	if packed {
		return zsetHeader + allocBytes(int(extrapolate(sum, sampled, n)))
	}
	return zsetHeader + dictHeader + tableBytes(n) + extrapolate(sum, sampled, n)
}

// streamSampler is what the estimate needs of a stream: its length,
// nodes and groups, and its first entries.
type streamSampler interface {
	Len() uint64
	NodeCount() int
	GroupCount() int
	Range(start, end types.StreamID, rev bool, fn func(id types.StreamID, fv [][]byte) bool)
}

func streamSize(s streamSampler, samples int) int64 {
	n := int(s.Len())
	var sum int64
	sampled := 0
	s.Range(types.StreamID{}, types.MaxStreamID, false, func(_ types.StreamID, fv [][]byte) bool {
		sum += streamEntryOverhead
		for _, b := range fv {
			sum += int64(len(b) + uvarintLen(len(b)))
		}
		sampled++
		return sampled < samples
	})
	return streamHeader + int64(s.NodeCount())*streamNodeOverhead +
		int64(s.GroupCount())*streamGroupSize + extrapolate(sum, sampled, n)
}
