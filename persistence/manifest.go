package persistence

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kioku-db/kioku/resp"
)

// The AOF manifest of Redis 7's multi-part append-only file: a text file,
// one line per file of the AOF directory,
//
//	file appendonly.aof.2.base.rdb seq 2 type b
//	file appendonly.aof.3.incr.aof seq 3 type h
//	file appendonly.aof.4.incr.aof seq 4 type i
//
// the base (a snapshot, at most one), history files (replaced by a
// rewrite, waiting to be deleted) and the incremental files (the commands
// written since the base, loaded in order). Reading and writing follow
// Redis's aof.c so that either server reads what the other wrote, and a
// malformed manifest is refused with Redis's words.

// AOFFileType is the type letter of a manifest line.
type AOFFileType byte

// The file types.
const (
	AOFBase    AOFFileType = 'b'
	AOFHistory AOFFileType = 'h'
	AOFIncr    AOFFileType = 'i'
)

// AOFFile is one line of the manifest.
type AOFFile struct {
	Name string
	Seq  int64
	Type AOFFileType
}

// Manifest lists the files of an AOF directory.
type Manifest struct {
	Base    *AOFFile
	History []AOFFile
	Incr    []AOFFile
	// BaseSeq and IncrSeq are the sequence numbers the next base and
	// incremental files follow (Redis's curr_base_file_seq and
	// curr_incr_file_seq).
	BaseSeq, IncrSeq int64
}

// Names in the AOF directory, from appendfilename (Redis's naming rules).
const (
	baseSuffix     = ".base"
	incrSuffix     = ".incr"
	rdbSuffix      = ".rdb"
	aofSuffix      = ".aof"
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// ManifestName is the manifest's file name for appendfilename.
func ManifestName(filename string) string { return filename + manifestSuffix }

// TempIncrName is the incremental file that collects writes while
// appendonly is being switched on, before the first base exists.
func TempIncrName(filename string) string { return tempPrefix + filename + incrSuffix }

// manifestMaxLine is Redis's MANIFEST_MAX_LINE: a longer line is refused.
const manifestMaxLine = 1024

// ManifestError is a manifest Redis would refuse to start with.
type ManifestError struct {
	Line   int    // 1-based; 0 when the error is not about one line
	Text   string // the offending line, trimmed
	Reason string // Redis's message, e.g. "Invalid AOF manifest file format"
}

func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("%s (reading the manifest file, at line %d: '%s')", e.Reason, e.Line, e.Text)
}

// Manifest errors, worded as Redis's aofLoadManifestFromFile words them.
const (
	errManifestEmpty     = "Found an empty AOF manifest"
	errManifestRead      = "Read AOF manifest failed"
	errManifestLongLine  = "The AOF manifest file contains too long line"
	errManifestFormat    = "Invalid AOF manifest file format"
	errManifestPath      = "File can't be a path, just a filename"
	errManifestDupBase   = "Found duplicate base file information"
	errManifestNonMonoto = "Found a non-monotonic sequence number"
	errManifestType      = "Unknown AOF file type"
)

// ParseManifest reads a manifest as Redis does: comment lines (#) are
// skipped, every other line is split like a config line (quotes allowed)
// into key/value pairs of which "file", "seq" and "type" are required and
// unknown ones ignored (for forward compatibility).
func ParseManifest(r io.Reader) (*Manifest, error) {
	m := &Manifest{}
	br := bufio.NewReader(r)
	lineNum := 0
	var maxSeq int64
	for {
		line, err := readManifestLine(br)
		if err == io.EOF {
			if lineNum == 0 {
				return nil, &ManifestError{Reason: errManifestEmpty}
			}
			return m, nil
		}
		if err != nil {
			return nil, &ManifestError{Reason: errManifestRead + ": " + err.Error()}
		}
		lineNum++
		if line[0] == '#' {
			continue
		}
		trimmed := strings.Trim(string(line), " \t\r\n")
		fail := func(reason string) (*Manifest, error) {
			return nil, &ManifestError{Line: lineNum, Text: trimmed, Reason: reason}
		}
		if line[len(line)-1] != '\n' {
			// Redis reads at most manifestMaxLine bytes and wants the
			// newline among them: the last line too must end with one.
			return fail(errManifestLongLine)
		}
		if trimmed == "" {
			return fail(errManifestFormat)
		}
		argv, ok := resp.SplitArgs([]byte(trimmed), nil)
		if !ok || len(argv) < 6 || len(argv)%2 != 0 {
			return fail(errManifestFormat)
		}
		var f AOFFile
		for i := 0; i < len(argv); i += 2 {
			k, v := string(argv[i]), argv[i+1]
			switch {
			case strings.EqualFold(k, "file"):
				f.Name = string(v)
				if strings.ContainsAny(f.Name, "/\\") {
					return fail(errManifestPath)
				}
			case strings.EqualFold(k, "seq"):
				f.Seq = atoll(v)
			case strings.EqualFold(k, "type"):
				if len(v) > 0 {
					f.Type = AOFFileType(v[0])
				} else {
					f.Type = 0
				}
			}
		}
		if f.Name == "" || f.Seq == 0 || f.Type == 0 {
			return fail(errManifestFormat)
		}
		switch f.Type {
		case AOFBase:
			if m.Base != nil {
				return fail(errManifestDupBase)
			}
			base := f
			m.Base = &base
			m.BaseSeq = f.Seq
		case AOFHistory:
			m.History = append(m.History, f)
		case AOFIncr:
			if f.Seq <= maxSeq {
				return fail(errManifestNonMonoto)
			}
			m.Incr = append(m.Incr, f)
			m.IncrSeq = f.Seq
			maxSeq = f.Seq
		default:
			return fail(errManifestType)
		}
	}
}

// readManifestLine returns what fgets with Redis's buffer would: up to
// and including a newline, at most manifestMaxLine bytes.
func readManifestLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for len(line) < manifestMaxLine {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		line = append(line, c)
		if c == '\n' {
			break
		}
	}
	return line, nil
}

// atoll parses a leading decimal integer like C's atoll: leading blanks
// and a sign are allowed, parsing stops at the first non-digit, and
// garbage gives 0.
func atoll(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// Bytes formats the manifest as Redis writes it: the base first, then
// the history files, then the incremental files.
func (m *Manifest) Bytes() []byte {
	var b bytes.Buffer
	if m.Base != nil {
		formatManifestLine(&b, *m.Base)
	}
	for _, f := range m.History {
		formatManifestLine(&b, f)
	}
	for _, f := range m.Incr {
		formatManifestLine(&b, f)
	}
	return b.Bytes()
}

func formatManifestLine(b *bytes.Buffer, f AOFFile) {
	b.WriteString("file ")
	if needsRepr(f.Name) {
		b.WriteString(resp.Repr(f.Name))
	} else {
		b.WriteString(f.Name)
	}
	b.WriteString(" seq ")
	b.WriteString(strconv.FormatInt(f.Seq, 10))
	b.WriteString(" type ")
	b.WriteByte(byte(f.Type))
	b.WriteByte('\n')
}

// needsRepr is Redis's sdsneedsrepr: a name that would not survive being
// split on spaces is written quoted.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c == '\n' || c == '\r' || c == '\t' || c == '\a' || c == '\b' ||
			c < 0x20 || c >= 0x7f || c == ' ' || c == '\v' || c == '\f' {
			return true
		}
	}
	return false
}

// Clone returns a deep copy: a change is made on a copy and adopted once
// it is on disk, as Redis does.
func (m *Manifest) Clone() *Manifest {
	c := &Manifest{BaseSeq: m.BaseSeq, IncrSeq: m.IncrSeq}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]AOFFile(nil), m.History...)
	c.Incr = append([]AOFFile(nil), m.Incr...)
	return c
}

// NewBase names the next base file (appendonly.aof.<n>.base.rdb, or .aof
// without an RDB preamble) and makes the current base history.
func (m *Manifest) NewBase(filename string, rdb bool) string {
	if m.Base != nil {
		old := *m.Base
		old.Type = AOFHistory
		m.History = append([]AOFFile{old}, m.History...)
	}
	m.BaseSeq++
	suffix := aofSuffix
	if rdb {
		suffix = rdbSuffix
	}
	m.Base = &AOFFile{
		Name: fmt.Sprintf("%s.%d%s%s", filename, m.BaseSeq, baseSuffix, suffix),
		Seq:  m.BaseSeq,
		Type: AOFBase,
	}
	return m.Base.Name
}

// NewIncr adds the next incremental file (appendonly.aof.<n>.incr.aof).
func (m *Manifest) NewIncr(filename string) string {
	m.IncrSeq++
	f := AOFFile{
		Name: fmt.Sprintf("%s.%d%s%s", filename, m.IncrSeq, incrSuffix, aofSuffix),
		Seq:  m.IncrSeq,
		Type: AOFIncr,
	}
	m.Incr = append(m.Incr, f)
	return f.Name
}

// LastIncr is the incremental file writes go to, added when there is
// none.
func (m *Manifest) LastIncr(filename string) string {
	if len(m.Incr) == 0 {
		return m.NewIncr(filename)
	}
	return m.Incr[len(m.Incr)-1].Name
}

// RetireIncr makes the incremental files history once a rewrite has
// folded them into the new base; keepLast keeps the one being written.
func (m *Manifest) RetireIncr(keepLast bool) {
	n := len(m.Incr)
	if keepLast && n > 0 {
		n--
	}
	// Each goes to the head of the history, walking from the newest, as
	// Redis's markRewrittenIncrAofAsHistory does.
	for i := n - 1; i >= 0; i-- {
		f := m.Incr[i]
		f.Type = AOFHistory
		m.History = append([]AOFFile{f}, m.History...)
	}
	m.Incr = append([]AOFFile(nil), m.Incr[n:]...)
}

// Loaded lists the files to load, in order: the base, then the
// incremental files.
func (m *Manifest) Loaded() []AOFFile {
	var out []AOFFile
	if m.Base != nil {
		out = append(out, *m.Base)
	}
	return append(out, m.Incr...)
}

// ReadManifestFile reads dir/<filename>.manifest; a missing file gives
// (nil, nil).
func ReadManifestFile(dir, filename string) (*Manifest, error) {
	f, err := os.Open(filepath.Join(dir, ManifestName(filename)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseManifest(f)
}

// WriteManifestFile replaces dir/<filename>.manifest atomically: a
// temporary file written and synced, renamed over the manifest, and the
// directory synced so the rename (and new files) survive a crash.
func WriteManifestFile(dir, filename string, m *Manifest) error {
	tmp := filepath.Join(dir, tempPrefix+ManifestName(filename))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the AOF manifest file %s: %w", filepath.Base(tmp), err)
	}
	if _, err = f.Write(m.Bytes()); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Error trying to write the temporary AOF manifest file %s: %w", filepath.Base(tmp), err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName(filename))); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Error trying to rename the temporary AOF manifest file %s into %s: %w",
			filepath.Base(tmp), ManifestName(filename), err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making the renames and creations in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("Fail to fsync AOF directory %s: %w", dir, err)
	}
	return nil
}
