package lua

import (
	"encoding/binary"
	"hash/crc64"
	"strconv"
	"strings"
)

// FUNCTION DUMP and RESTORE payloads, as Redis 7.0 writes them: for each
// library the RDB opcode FUNCTION2 and its code as an RDB string, then
// the RDB version (2 bytes) and a CRC64 (Jones polynomial, 8 bytes), both
// little-endian. Kioku writes the code uncompressed; it reads LZF-
// compressed and integer-encoded strings too, so Redis's payloads restore.

const (
	rdbVersion             = 10 // Redis 7.0
	rdbOpcodeFunction2     = 245
	rdbOpcodeFunctionPreGA = 246

	errPayload       = "ERR DUMP payload version or checksum are wrong"
	errPayloadType   = "ERR can not read data type"
	errPayloadPreGA  = "ERR Pre-GA function format not supported"
	errPayloadNotFn  = "ERR given type is not a function"
	errPayloadBroken = "ERR failed loading the given functions payload"
)

// RestorePolicy is what FUNCTION RESTORE does with the libraries it finds.
type RestorePolicy int

const (
	// RestoreAppend adds the libraries, failing if one exists.
	RestoreAppend RestorePolicy = iota
	// RestoreReplace adds the libraries, replacing those of the same name.
	RestoreReplace
	// RestoreFlush replaces all libraries with the payload's.
	RestoreFlush
)

// crcTable is Redis's crc64: the reflected Jones polynomial, with neither
// initial nor final inversion.
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

func redisCRC64(p []byte) uint64 { return ^crc64.Update(^uint64(0), crcTable, p) }

// Dump serializes every library (FUNCTION DUMP).
func (f *Functions) Dump() []byte {
	var out []byte
	for _, lib := range f.Libraries(nil) {
		out = append(out, rdbOpcodeFunction2)
		out = appendRDBLen(out, uint64(len(lib.Code)))
		out = append(out, lib.Code...)
	}
	out = binary.LittleEndian.AppendUint16(out, rdbVersion)
	return binary.LittleEndian.AppendUint64(out, redisCRC64(out))
}

func appendRDBLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, 0x40|byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0x81), n)
}

// Restore loads the libraries of a FUNCTION DUMP payload under policy.
func (f *Functions) Restore(payload []byte, policy RestorePolicy, host Host) error {
	codes, err := readDumpPayload(payload)
	if err != nil {
		return err
	}
	libs, err := f.buildAll(codes, host)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if policy == RestoreFlush {
		f.libs = map[string]*Library{}
		f.funcs = map[string]*Function{}
	}
	for _, lib := range libs {
		if f.libs[lib.Name] != nil && policy == RestoreAppend {
			return scriptError("ERR Library " + lib.Name + " already exists")
		}
	}
	if err := f.checkCollisions(libs, true); err != nil {
		return err
	}
	for _, lib := range libs {
		f.install(lib)
	}
	return nil
}

// buildAll builds the payload's libraries, which must not collide with
// one another.
func (f *Functions) buildAll(codes [][]byte, host Host) ([]*Library, error) {
	var libs []*Library
	names := map[string]bool{}
	funcs := map[string]bool{}
	for _, code := range codes {
		lib, err := f.build(code, host)
		if err != nil {
			return nil, err
		}
		if names[lib.Name] {
			return nil, libraryExists(lib.Name)
		}
		names[lib.Name] = true
		for _, fn := range lib.Functions {
			if funcs[strings.ToLower(fn.Name)] {
				return nil, scriptError("ERR Function " + fn.Name + " already exists")
			}
			funcs[strings.ToLower(fn.Name)] = true
		}
		libs = append(libs, lib)
	}
	return libs, nil
}

// readDumpPayload checks the footer and returns the libraries' codes.
func readDumpPayload(p []byte) ([][]byte, error) {
	if len(p) < 10 {
		return nil, scriptError(errPayload)
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > rdbVersion || binary.LittleEndian.Uint64(footer[2:]) != redisCRC64(p[:len(p)-8]) {
		return nil, scriptError(errPayload)
	}
	r := &rdbReader{b: p[:len(p)-10]}
	var codes [][]byte
	for len(r.b) > 0 {
		switch r.byte() {
		case rdbOpcodeFunction2:
		case rdbOpcodeFunctionPreGA:
			return nil, scriptError(errPayloadPreGA)
		default:
			return nil, scriptError(errPayloadNotFn)
		}
		code, ok := r.string()
		if !ok {
			return nil, scriptError(errPayloadBroken)
		}
		codes = append(codes, code)
	}
	return codes, nil
}

// rdbReader reads RDB lengths and strings.
type rdbReader struct{ b []byte }

func (r *rdbReader) byte() byte {
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *rdbReader) take(n uint64) ([]byte, bool) {
	if uint64(len(r.b)) < n {
		return nil, false
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out, true
}

// length reads an RDB length; encoded reports the 0b11 prefix, whose low
// bits then say how the string is encoded.
func (r *rdbReader) length() (n uint64, encoded, ok bool) {
	if len(r.b) == 0 {
		return 0, false, false
	}
	c := r.byte()
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, true
	case 1:
		b, ok := r.take(1)
		if !ok {
			return 0, false, false
		}
		return uint64(c&0x3f)<<8 | uint64(b[0]), false, true
	case 3:
		return uint64(c & 0x3f), true, true
	}
	switch c {
	case 0x80:
		b, ok := r.take(4)
		if !ok {
			return 0, false, false
		}
		return uint64(binary.BigEndian.Uint32(b)), false, true
	case 0x81:
		b, ok := r.take(8)
		if !ok {
			return 0, false, false
		}
		return binary.BigEndian.Uint64(b), false, true
	}
	return 0, false, false
}

// string reads an RDB string: raw, integer-encoded or LZF-compressed.
func (r *rdbReader) string() ([]byte, bool) {
	n, encoded, ok := r.length()
	if !ok {
		return nil, false
	}
	if !encoded {
		b, ok := r.take(n)
		return append([]byte(nil), b...), ok
	}
	switch n {
	case 0, 1, 2: // an int8, int16 or int32, little-endian
		b, ok := r.take(1 << n)
		if !ok {
			return nil, false
		}
		var v int64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | int64(b[i])
		}
		shift := 64 - 8*len(b)
		return strconv.AppendInt(nil, v<<shift>>shift, 10), true
	case 3:
		return r.lzfString()
	}
	return nil, false
}

func (r *rdbReader) lzfString() ([]byte, bool) {
	clen, _, ok := r.length()
	if !ok {
		return nil, false
	}
	ulen, _, ok := r.length()
	if !ok {
		return nil, false
	}
	in, ok := r.take(clen)
	if !ok {
		return nil, false
	}
	return lzfDecompress(in, int(ulen))
}

// lzfDecompress is liblzf's lzf_decompress: literal runs (control byte
// below 32: that many plus one bytes follow) and back-references (length
// in the top 3 bits, 7 meaning another byte adds to it; offset in the low
// 5 bits and the next byte).
func lzfDecompress(in []byte, size int) ([]byte, bool) {
	out := make([]byte, 0, size)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > size {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		n += 2
		if ref < 0 || len(out)+n > size {
			return nil, false
		}
		for k := 0; k < n; k++ { // byte by byte: the source may overlap the output
			out = append(out, out[ref+k])
		}
	}
	return out, len(out) == size
}
