package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/kioku-db/kioku/types"
)

// Reading values into the types package's structures, in the encoding
// Redis 7.0 gives them after loading: a compact value too big for the
// limits is converted, a hashtable value small enough becomes compact,
// and a collection of an old encoding is held as today's.

// errEmptyValue marks an empty collection, which Redis skips.
var errEmptyValue = errors.New("rdb: empty value")

// readObject reads a value of type typ: a string in str, any other in obj.
func (d *rdbReader) readObject(typ byte) (str string, obj any, err error) {
	switch typ {
	case rdbTypeString:
		str, err = d.readKeep()
		return str, nil, err
	case rdbTypeList:
		obj, err = d.readPlainList()
	case rdbTypeListQuicklist, rdbTypeListQuicklist2:
		obj, err = d.readQuicklist(typ)
	case rdbTypeListZiplist:
		obj, err = d.readBlob(func(b []byte) (any, error) { return d.listFromZiplist(b) })
	case rdbTypeSet:
		obj, err = d.readPlainSet()
	case rdbTypeSetIntset:
		obj, err = d.readBlob(d.setFromIntset)
	case rdbTypeSetListpack:
		obj, err = d.readBlob(d.setFromListpack)
	case rdbTypeZSet, rdbTypeZSet2:
		obj, err = d.readPlainZSet(typ)
	case rdbTypeZSetZiplist:
		obj, err = d.readBlob(func(b []byte) (any, error) { return d.zsetFromPacked(ziplistElems(b)) })
	case rdbTypeZSetListpack:
		obj, err = d.readBlob(func(b []byte) (any, error) { return d.zsetFromPacked(listpackElems(b)) })
	case rdbTypeHash:
		obj, err = d.readPlainHash()
	case rdbTypeHashZipmap:
		obj, err = d.readBlob(d.hashFromZipmap)
	case rdbTypeHashZiplist:
		obj, err = d.readBlob(func(b []byte) (any, error) { return d.hashFromPacked(ziplistElems(b)) })
	case rdbTypeHashListpack:
		obj, err = d.readBlob(func(b []byte) (any, error) { return d.hashFromPacked(listpackElems(b)) })
	case rdbTypeStreamListpacks, rdbTypeStreamListpacks2, rdbTypeStreamListpacks3:
		obj, err = d.readStream(typ)
	case rdbTypeModulePreGA, rdbTypeModule2:
		return "", nil, fmt.Errorf("rdb: offset %d: %w", d.off, ErrModuleData)
	default:
		return "", nil, d.corrupt("unknown RDB type %d", typ)
	}
	return "", obj, err
}

// readBlob reads one string holding a compact encoding and decodes it;
// an error from decode is reported at the blob's end. The decoders copy
// what they keep, so the blob is read into the scratch buffer.
func (d *rdbReader) readBlob(decode func([]byte) (any, error)) (any, error) {
	b, err := d.readTransient()
	if err != nil {
		return nil, err
	}
	obj, err := decode(b)
	if err != nil && !errors.Is(err, errEmptyValue) {
		var ce *CorruptError
		if !errors.As(err, &ce) {
			err = d.corrupt("%v", err)
		}
	}
	return obj, err
}

func (d *rdbReader) readPlainList() (any, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmptyValue
	}
	l := types.NewList()
	for ; n > 0; n-- {
		v, err := d.readTransient()
		if err != nil {
			return nil, err
		}
		l.PushBack(v)
	}
	return l, nil
}

func (d *rdbReader) readQuicklist(typ byte) (any, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	l := types.NewList()
	var scratch []byte
	for ; n > 0; n-- {
		container := uint64(quicklistPacked)
		if typ == rdbTypeListQuicklist2 {
			if container, err = d.readCount(); err != nil {
				return nil, err
			}
			if container != quicklistPacked && container != quicklistPlain {
				return nil, d.corrupt("quicklist integrity check failed: container %d", container)
			}
		}
		data, err := d.readTransient() // the list copies its elements
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			return nil, d.corrupt("empty quicklist node")
		}
		if container == quicklistPlain {
			l.PushBack(data)
			continue
		}
		var elems []lpElem
		if typ == rdbTypeListQuicklist2 {
			elems, err = listpackElems(data)
		} else {
			elems, err = ziplistElems(data)
		}
		if err != nil {
			return nil, d.corrupt("list node: %v", err)
		}
		for _, e := range elems {
			scratch = e.appendTo(scratch[:0])
			l.PushBack(scratch)
		}
	}
	if l.Len() == 0 {
		return nil, errEmptyValue
	}
	return l, nil
}

func (d *rdbReader) listFromZiplist(b []byte) (any, error) {
	elems, err := ziplistElems(b)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, errEmptyValue
	}
	l := types.NewList()
	var scratch []byte
	for _, e := range elems {
		scratch = e.appendTo(scratch[:0])
		l.PushBack(scratch)
	}
	return l, nil
}

// setIntsetCap is the cap Redis puts on set-max-intset-entries.
const setIntsetCap = 1 << 30

func (d *rdbReader) maxIntsetEntries() int64 {
	return int64(min(max(d.lim.SetMaxIntsetEntries, 0), setIntsetCap))
}

func (d *rdbReader) readPlainSet() (any, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmptyValue
	}
	// Too many members for an intset: a hashtable from the start.
	limit := d.maxIntsetEntries()
	if n > uint64(limit) {
		limit = 0
	}
	s := types.NewSet()
	for ; n > 0; n-- {
		m, err := d.readTransient()
		if err != nil {
			return nil, err
		}
		// Add copies what it keeps, so the scratch bytes can be viewed.
		if !s.Add(unsafeString(m), limit) {
			return nil, d.corrupt("duplicate set members detected")
		}
	}
	return s, nil
}

func (d *rdbReader) setFromIntset(b []byte) (any, error) {
	width, elems, err := intsetContents(b)
	if err != nil {
		return nil, err
	}
	n := len(elems) / width
	limit := d.maxIntsetEntries()
	if int64(n) <= limit {
		return types.NewSetFromIntset(width, elems), nil
	}
	s := types.NewSet()
	for i := range n {
		s.AddMember(types.IntMember(intsetAt(elems, width, i)), limit)
	}
	return s, nil
}

// setFromListpack reads Redis 7.2's listpack set into the encodings Redis
// 7.0 has: an intset while every member is an integer and there are few
// enough, a hashtable otherwise.
func (d *rdbReader) setFromListpack(b []byte) (any, error) {
	elems, err := listpackElems(b)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, errEmptyValue
	}
	limit := d.maxIntsetEntries()
	if int64(len(elems)) > limit {
		limit = 0
	}
	s := types.NewSet()
	var scratch []byte
	for _, e := range elems {
		var added bool
		if e.isInt {
			added = s.AddMember(types.IntMember(e.num), limit)
		} else {
			scratch = e.appendTo(scratch[:0])
			added = s.Add(bytesToString(scratch), limit)
		}
		if !added {
			return nil, errors.New("duplicate set members detected")
		}
	}
	return s, nil
}

func (d *rdbReader) readPlainZSet(typ byte) (any, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmptyValue
	}
	z := types.NewZSetSkiplist()
	maxLen, total := 0, 0
	for ; n > 0; n-- {
		m, err := d.readKeep()
		if err != nil {
			return nil, err
		}
		var score float64
		if typ == rdbTypeZSet2 {
			var buf [8]byte
			if err := d.readFull(buf[:]); err != nil {
				return nil, err
			}
			score = math.Float64frombits(binary.LittleEndian.Uint64(buf[:]))
		} else if score, err = d.readStringDouble(); err != nil {
			return nil, err
		}
		if math.IsNaN(score) {
			return nil, d.corrupt("zset with NAN score detected")
		}
		maxLen = max(maxLen, len(m))
		total += len(m)
		if !z.Set(m, score) {
			return nil, d.corrupt("duplicate zset fields detected")
		}
	}
	if z.Len() <= d.lim.ZSetMaxListpackEntries && maxLen <= d.lim.ZSetMaxListpackValue && total < lpMaxSafetySize {
		z.ConvertToListpack()
	}
	return z, nil
}

// readStringDouble reads a score as rdbSaveDoubleValue wrote it: a length
// byte (253 NaN, 254 +inf, 255 -inf) and the number in text.
func (d *rdbReader) readStringDouble() (float64, error) {
	n, err := d.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	buf := make([]byte, n)
	if err := d.readFull(buf); err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(string(buf), 64)
	if err != nil {
		return 0, d.corrupt("invalid double %q", buf)
	}
	return v, nil
}

// zsetFromPacked builds a sorted set from a ziplist's or listpack's
// member, score pairs.
func (d *rdbReader) zsetFromPacked(elems []lpElem, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if len(elems)%2 != 0 {
		return nil, errors.New("sorted set listpack with an odd number of elements")
	}
	if len(elems) == 0 {
		return nil, errEmptyValue
	}
	big := len(elems)/2 > d.lim.ZSetMaxListpackEntries
	z := types.NewZSet()
	if big {
		z = types.NewZSetSkiplist()
	}
	for i := 0; i < len(elems); i += 2 {
		score, ok := packedScore(elems[i+1])
		if !ok {
			return nil, errors.New("invalid sorted set score")
		}
		if !z.Set(elems[i].String(), score) {
			return nil, errors.New("duplicate zset fields detected")
		}
	}
	return z, nil
}

// packedScore reads a score element: an integer, or a number in text.
func packedScore(e lpElem) (float64, bool) {
	if e.isInt {
		return float64(e.num), true
	}
	v, err := strconv.ParseFloat(string(e.str), 64)
	return v, err == nil && !math.IsNaN(v)
}

func (d *rdbReader) hashLimits() types.HashLimits {
	return types.HashLimits{MaxEntries: d.lim.HashMaxListpackEntries, MaxValue: d.lim.HashMaxListpackValue}
}

// Limits that keep a hash compact whatever it holds, and that make it a
// hashtable at once.
var (
	keepCompactHash = types.HashLimits{MaxEntries: math.MaxInt, MaxValue: math.MaxInt}
	forceTableHash  = types.HashLimits{}
)

func (d *rdbReader) readPlainHash() (any, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmptyValue
	}
	lim := d.hashLimits()
	if n > uint64(max(lim.MaxEntries, 0)) {
		lim = forceTableHash
	}
	h := types.NewHash()
	var field []byte
	for ; n > 0; n-- {
		f, err := d.readTransient()
		if err != nil {
			return nil, err
		}
		field = append(field[:0], f...)
		f = field
		v, err := d.readTransient()
		if err != nil {
			return nil, err
		}
		if !h.Set(f, v, lim) {
			return nil, d.corrupt("duplicate hash fields detected")
		}
	}
	return h, nil
}

// hashFromPacked builds a hash from a ziplist's or listpack's field, value
// pairs. Like Redis it stays compact unless it has too many fields; the
// lengths of the values are not checked.
func (d *rdbReader) hashFromPacked(elems []lpElem, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if len(elems)%2 != 0 {
		return nil, errors.New("hash listpack with an odd number of elements")
	}
	if len(elems) == 0 {
		return nil, errEmptyValue
	}
	lim := keepCompactHash
	if len(elems)/2 > d.lim.HashMaxListpackEntries {
		lim = forceTableHash
	}
	h := types.NewHash()
	var fb, vb []byte
	for i := 0; i < len(elems); i += 2 {
		fb, vb = elems[i].appendTo(fb[:0]), elems[i+1].appendTo(vb[:0])
		if !h.Set(fb, vb, lim) {
			return nil, errors.New("duplicate hash fields detected")
		}
	}
	return h, nil
}

func (d *rdbReader) hashFromZipmap(b []byte) (any, error) {
	pairs, err := zipmapPairs(b)
	if err != nil {
		return nil, err
	}
	maxLen := 0
	for _, p := range pairs {
		maxLen = max(maxLen, len(p[0]), len(p[1]))
	}
	lim := keepCompactHash
	if len(pairs) > d.lim.HashMaxListpackEntries || maxLen > d.lim.HashMaxListpackValue {
		lim = forceTableHash
	}
	h := types.NewHash()
	for _, p := range pairs {
		if !h.Set(p[0], p[1], lim) {
			return nil, errors.New("hash zipmap with dup elements")
		}
	}
	return h, nil
}
