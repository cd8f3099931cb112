package persistence

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// ErrModuleData is returned for module values and module AUX data: they
// can only be read by the module that wrote them, and Kioku has none.
var ErrModuleData = errors.New("rdb: the data holds module values, which cannot be loaded without their module")

// rdbReader reads the primitives of the format, counting the offset for
// error reports and, for a file, the running checksum.
type rdbReader struct {
	r       *bufio.Reader
	off     int64
	crc     uint64
	summing bool
	version int
	lim     Limits
	scratch []byte
}

func newRDBReader(r io.Reader, lim Limits) *rdbReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &rdbReader{r: br, lim: lim, version: RDBVersion}
}

// corrupt reports a problem with what was just read.
func (d *rdbReader) corrupt(format string, args ...any) error {
	return &CorruptError{Offset: d.off, Reason: fmt.Sprintf(format, args...)}
}

func (d *rdbReader) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return d.corrupt("unexpected end of data")
	}
	return fmt.Errorf("rdb: read at offset %d: %w", d.off, err)
}

func (d *rdbReader) readByte() (byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readErr(err)
	}
	if d.summing {
		d.crc = crc64Byte(d.crc, c)
	}
	d.off++
	return c, nil
}

func (d *rdbReader) readFull(p []byte) error {
	n, err := io.ReadFull(d.r, p)
	if d.summing {
		d.crc = CRC64(d.crc, p[:n])
	}
	d.off += int64(n)
	if err != nil {
		return d.readErr(err)
	}
	return nil
}

// readN reads n fresh bytes. A corrupt length cannot make it allocate
// much more than the input holds: beyond a megabyte the buffer grows
// with what was actually read.
func (d *rdbReader) readN(n uint64) ([]byte, error) {
	const chunk = 1 << 20
	if n <= chunk {
		b := make([]byte, n)
		return b, d.readFull(b)
	}
	if n > math.MaxInt/2 {
		return nil, d.corrupt("length %d out of range", n)
	}
	b := make([]byte, 0, chunk)
	for uint64(len(b)) < n {
		step := min(n-uint64(len(b)), uint64(max(len(b), chunk)))
		start := len(b)
		b = growLen(b, int(step))
		if err := d.readFull(b[start:]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// readLen reads a length; encoded reports the special string encodings
// (11xxxxxx), whose 6-bit code is returned as n.
func (d *rdbReader) readLen() (n uint64, encoded bool, err error) {
	c, err := d.readByte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case rdbEncVal:
		return uint64(c & 0x3f), true, nil
	case rdb6BitLen:
		return uint64(c & 0x3f), false, nil
	case rdb14BitLen:
		c2, err := d.readByte()
		return uint64(c&0x3f)<<8 | uint64(c2), false, err
	}
	var buf [8]byte
	switch c {
	case rdb32BitLen:
		err = d.readFull(buf[:4])
		return uint64(binary.BigEndian.Uint32(buf[:4])), false, err
	case rdb64BitLen:
		err = d.readFull(buf[:8])
		return binary.BigEndian.Uint64(buf[:8]), false, err
	}
	return 0, false, d.corrupt("unknown length encoding %#x", c)
}

// readCount reads a length that is a plain number.
func (d *rdbReader) readCount() (uint64, error) {
	n, enc, err := d.readLen()
	if err == nil && enc {
		err = d.corrupt("string encoding where a length was expected")
	}
	return n, err
}

// readString reads a string in any of its encodings into fresh bytes
// the caller may keep.
func (d *rdbReader) readString() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	return d.readStringBody(n, enc)
}

// readStringBody reads what follows a string's length (or encoding).
func (d *rdbReader) readStringBody(n uint64, enc bool) ([]byte, error) {
	if !enc {
		return d.readN(n)
	}
	var buf [4]byte
	switch n {
	case rdbEncInt8:
		if err := d.readFull(buf[:1]); err != nil {
			return nil, err
		}
		return appendInt64(nil, int64(int8(buf[0]))), nil
	case rdbEncInt16:
		if err := d.readFull(buf[:2]); err != nil {
			return nil, err
		}
		return appendInt64(nil, int64(int16(binary.LittleEndian.Uint16(buf[:2])))), nil
	case rdbEncInt32:
		if err := d.readFull(buf[:4]); err != nil {
			return nil, err
		}
		return appendInt64(nil, int64(int32(binary.LittleEndian.Uint32(buf[:4])))), nil
	case rdbEncLZF:
		clen, err := d.readCount()
		if err != nil {
			return nil, err
		}
		ulen, err := d.readCount()
		if err != nil {
			return nil, err
		}
		// A back-reference of three bytes expands to at most 264: a
		// larger claim is corrupt, and is refused before allocating it.
		if clen == 0 || ulen > 8 && (ulen-8)/88 > clen {
			return nil, d.corrupt("invalid LZF compressed string lengths %d/%d", clen, ulen)
		}
		c, err := d.readN(clen)
		if err != nil {
			return nil, err
		}
		out, err := lzfDecompress(c, int(ulen))
		if err != nil {
			return nil, d.corrupt("%v", err)
		}
		return out, nil
	}
	return nil, d.corrupt("unknown string encoding %d", n)
}

// readTransient reads a string into the reader's scratch buffer, for a
// caller that copies what it keeps: the bytes are valid until the next
// readTransient.
func (d *rdbReader) readTransient() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if enc || n > 1<<16 {
		// Encoded strings are short or decompressed into a buffer of
		// their own; long ones are read as readN reads them.
		return d.readStringBody(n, enc)
	}
	if uint64(cap(d.scratch)) < n {
		d.scratch = make([]byte, n, max(n, 64))
	}
	b := d.scratch[:n]
	return b, d.readFull(b)
}

// readKeep reads a string the caller keeps as a Go string.
func (d *rdbReader) readKeep() (string, error) {
	b, err := d.readString()
	return bytesToString(b), err
}

// readMillis reads a little-endian 64-bit time.
func (d *rdbReader) readMillis() (int64, error) {
	var buf [8]byte
	err := d.readFull(buf[:])
	return int64(binary.LittleEndian.Uint64(buf[:])), err
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// bytesToString gives up b for a string without copying; b must be fresh
// and not used again.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func crc64Byte(crc uint64, c byte) uint64 { return crc64Tables[0][byte(crc)^c] ^ crc>>8 }

// LoadRDB reads a whole RDB file, passing what it holds to h in file
// order. It checks the magic, the version (up to 11), and the CRC64
// trailer unless it is zero. Damaged input gives a *CorruptError, with
// Entry never called for a value that was not read whole; errors from the
// handler's functions end the load and are returned as they are.
//
// Given a *bufio.Reader, LoadRDB reads through it and stops right after
// the trailer, so the caller can go on reading what follows (the commands
// after an AOF's RDB preamble); any other reader is buffered.
func LoadRDB(r io.Reader, h RDBHandler) error {
	lim := DefaultLimits()
	if h.Limits != nil {
		lim = *h.Limits
	}
	d := newRDBReader(r, lim)
	d.summing = true
	var magic [9]byte
	if err := d.readFull(magic[:]); err != nil {
		return err
	}
	if string(magic[:5]) != "REDIS" {
		return &CorruptError{Offset: 0, Reason: "wrong signature: not an RDB file"}
	}
	ver, err := strconv.Atoi(string(magic[5:]))
	if err != nil || ver < 1 || ver > rdbMaxLoadVersion {
		return &CorruptError{Offset: 5, Reason: fmt.Sprintf("can't handle RDB format version %q", magic[5:])}
	}
	d.version = ver

	db := 0
	expire, idle, freq := int64(0), int64(-1), -1
	for {
		typ, err := d.readByte()
		if err != nil {
			return err
		}
		switch typ {
		case rdbOpExpireTime:
			var buf [4]byte
			if err := d.readFull(buf[:]); err != nil {
				return err
			}
			expire = int64(int32(binary.LittleEndian.Uint32(buf[:]))) * 1000
			expire = explicitExpire(expire)
			continue
		case rdbOpExpireTimeMs:
			if expire, err = d.readMillis(); err != nil {
				return err
			}
			expire = explicitExpire(expire)
			continue
		case rdbOpFreq:
			c, err := d.readByte()
			if err != nil {
				return err
			}
			freq = int(c)
			continue
		case rdbOpIdle:
			n, err := d.readCount()
			if err != nil {
				return err
			}
			idle = int64(min(n, math.MaxInt64))
			continue
		case rdbOpEOF:
			return d.finish()
		case rdbOpSelectDB:
			n, err := d.readCount()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return d.corrupt("database number %d out of range", n)
			}
			db = int(n)
			continue
		case rdbOpResizeDB:
			size, err := d.readCount()
			if err != nil {
				return err
			}
			expires, err := d.readCount()
			if err != nil {
				return err
			}
			if h.ResizeDB != nil {
				h.ResizeDB(db, int(min(size, math.MaxInt32)), int(min(expires, math.MaxInt32)))
			}
			continue
		case rdbOpAux:
			key, err := d.readKeep()
			if err != nil {
				return err
			}
			val, err := d.readKeep()
			if err != nil {
				return err
			}
			if h.Aux != nil {
				if err := h.Aux(key, val); err != nil {
					return err
				}
			}
			continue
		case rdbOpModuleAux:
			return fmt.Errorf("rdb: offset %d: %w", d.off, ErrModuleData)
		case rdbOpFunctionPreGA, rdbOpFunction2:
			code, err := d.readFunction(typ)
			if err != nil {
				return err
			}
			if h.Function != nil {
				if err := h.Function(code); err != nil {
					return err
				}
			}
			continue
		}
		if !isObjectType(typ) {
			return d.corrupt("unknown RDB type %d", typ)
		}
		key, err := d.readKeep()
		if err != nil {
			return err
		}
		str, obj, err := d.readObject(typ)
		switch {
		case errors.Is(err, errEmptyValue):
			// Redis skips empty collections, which an old bug could save.
		case err != nil:
			return err
		default:
			it := RDBItem{DB: db, Key: key, Str: str, Obj: obj, Expire: expire, Idle: idle, Freq: freq}
			if err := h.Entry(it); err != nil {
				return err
			}
		}
		expire, idle, freq = 0, -1, -1
	}
}

// explicitExpire keeps a stored expire time of 0 apart from "no expire":
// it is long past, so the key is gone either way.
func explicitExpire(ms int64) int64 {
	if ms == 0 {
		return -1
	}
	return ms
}

// finish reads and checks the trailer after the EOF opcode.
func (d *rdbReader) finish() error {
	if d.version < 5 {
		return nil
	}
	want := d.crc
	d.summing = false
	var buf [8]byte
	if err := d.readFull(buf[:]); err != nil {
		return err
	}
	if got := binary.LittleEndian.Uint64(buf[:]); got != 0 && got != want {
		return &CorruptError{Offset: d.off - 8, Reason: fmt.Sprintf("RDB CRC error: expected %#x, got %#x", want, got)}
	}
	return nil
}

// readFunction reads a function library: the code (FUNCTION2), or the
// format of Redis 7.0's release candidates (name, engine, optional
// description, code), which Redis turns into code with a shebang.
func (d *rdbReader) readFunction(typ byte) (string, error) {
	if typ == rdbOpFunction2 {
		return d.readKeep()
	}
	name, err := d.readString()
	if err != nil {
		return "", err
	}
	engine, err := d.readString()
	if err != nil {
		return "", err
	}
	hasDesc, err := d.readCount()
	if err != nil {
		return "", err
	}
	if hasDesc != 0 {
		if _, err := d.readString(); err != nil {
			return "", err
		}
	}
	code, err := d.readString()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("#!%s name=%s\n%s", engine, name, code), nil
}

func isObjectType(t byte) bool {
	return t <= rdbTypeZSet2 || t >= rdbTypeModulePreGA && t <= rdbTypeStreamListpacks3 && t != 8
}
