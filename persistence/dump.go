package persistence

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/kioku-db/kioku/store"
)

// DUMP payloads (cluster.c): one RDB value (type byte and body), the RDB
// version as 16 bits little endian, and the CRC64 of all that, little
// endian.

// ErrDumpPayload is a payload whose version is newer than RDBVersion or
// whose checksum does not match: RESTORE's "DUMP payload version or
// checksum are wrong".
var ErrDumpPayload = errors.New("rdb: DUMP payload version or checksum are wrong")

// DumpPayload returns the DUMP serialisation of e.
func DumpPayload(enc *EntryEncoder, e *store.Entry) []byte {
	b := enc.AppendValue(nil, e)
	b = binary.LittleEndian.AppendUint16(b, RDBVersion)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// ParseDumpPayload decodes a DUMP payload with Redis's default encoding
// limits; see ParseDumpPayloadLimits.
func ParseDumpPayload(p []byte) (str string, obj any, err error) {
	return ParseDumpPayloadLimits(p, DefaultLimits())
}

// ParseDumpPayloadLimits decodes a DUMP payload into a string (obj nil) or
// an object, in the encoding the limits give it. The error is
// ErrDumpPayload for a bad version or checksum, and otherwise describes
// bad data (RESTORE's "Bad data format"), an empty collection included.
func ParseDumpPayloadLimits(p []byte, lim Limits) (str string, obj any, err error) {
	if err := verifyDumpPayload(p); err != nil {
		return "", nil, err
	}
	// Redis reads the value from the whole payload: a value that runs
	// into the footer takes its bytes rather than failing.
	d := newRDBReader(bytes.NewReader(p), lim)
	typ, err := d.readByte()
	if err != nil {
		return "", nil, err
	}
	if !isObjectType(typ) {
		return "", nil, d.corrupt("unknown RDB type %d", typ)
	}
	str, obj, err = d.readObject(typ)
	if errors.Is(err, errEmptyValue) {
		err = d.corrupt("empty value")
	}
	return str, obj, err
}

func verifyDumpPayload(p []byte) error {
	if len(p) < 10 {
		return ErrDumpPayload
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > RDBVersion {
		return ErrDumpPayload
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return ErrDumpPayload
	}
	return nil
}
