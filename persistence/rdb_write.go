package persistence

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// RDBWriter writes a whole RDB file: header, aux fields, functions,
// databases, EOF and the CRC64 trailer, as rdbSaveRio lays them out.
// Entries come pre-encoded (EntryEncoder), so the databases may be encoded
// elsewhere, in parallel, and written here in order.
type RDBWriter struct {
	w        *bufio.Writer
	checksum bool
	crc      uint64
	err      error
	scratch  []byte
}

// NewRDBWriter returns a writer on w. With checksum false the trailer is
// eight zero bytes, which loaders take as "not checked" (rdbchecksum no).
func NewRDBWriter(w io.Writer, checksum bool) *RDBWriter {
	return &RDBWriter{w: bufio.NewWriterSize(w, 64<<10), checksum: checksum}
}

func (w *RDBWriter) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.checksum {
		w.crc = CRC64(w.crc, b)
	}
	_, w.err = w.w.Write(b)
	return w.err
}

// WriteHeader writes the magic and version ("REDIS0010") and the AUX
// fields in order.
func (w *RDBWriter) WriteHeader(aux [][2]string) error {
	b := fmt.Appendf(w.scratch[:0], "REDIS%04d", RDBVersion)
	for _, kv := range aux {
		b = append(b, rdbOpAux)
		b = appendRDBString(b, viewBytes(kv[0]), false)
		b = appendRDBString(b, viewBytes(kv[1]), false)
	}
	w.scratch = b
	return w.write(b)
}

// WriteFunction writes one function library's code (RDB_OPCODE_FUNCTION2).
func (w *RDBWriter) WriteFunction(code string) error {
	b := append(w.scratch[:0], rdbOpFunction2)
	b = appendRDBString(b, viewBytes(code), false)
	w.scratch = b
	return w.write(b)
}

// WriteDBStart opens database id (SELECTDB) and gives its number of keys
// and of keys with a TTL (RESIZEDB).
func (w *RDBWriter) WriteDBStart(id, size, expires int) error {
	b := append(w.scratch[:0], rdbOpSelectDB)
	b = appendLen(b, uint64(id))
	b = append(b, rdbOpResizeDB)
	b = appendLen(b, uint64(size))
	b = appendLen(b, uint64(expires))
	w.scratch = b
	return w.write(b)
}

// WriteRaw writes entries encoded by EntryEncoder.AppendEntry.
func (w *RDBWriter) WriteRaw(b []byte) error { return w.write(b) }

// Finish writes the EOF opcode and the checksum, and flushes.
func (w *RDBWriter) Finish() error {
	if err := w.write([]byte{rdbOpEOF}); err != nil {
		return err
	}
	var sum uint64
	if w.checksum {
		sum = w.crc
	}
	if _, err := w.w.Write(binary.LittleEndian.AppendUint64(nil, sum)); err != nil {
		w.err = err
		return err
	}
	w.err = w.w.Flush()
	return w.err
}
