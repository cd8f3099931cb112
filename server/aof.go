package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/store"
)

// The append-only file (Redis's aof.c): Redis 7's multi-part layout in
// dir/appenddirname (a base, incremental files, a manifest), written as
// commands run, fsynced as appendfsync says, loaded at startup, and
// rewritten in the background from a snapshot while the server serves.
//
// Writing. A command's unit of propagation (propagate.go) is appended to
// an in-memory buffer while the command still holds its keyspace locks,
// which orders the AOF as the keyspace. The buffer reaches the file by
// group commit: a client about to send replies makes sure the bytes its
// commands appended are written (and, with appendfsync always, fsynced)
// first; whoever takes the write lock writes everything appended so far,
// so concurrent clients share one write(2) and one fsync. A reply thus
// never acknowledges a write the OS does not have (always: the disk), as
// with Redis, which writes its buffer before replying. With everysec a
// background goroutine fsyncs once a second.
//
// Rewriting. A rewrite opens the next incremental file and records it in
// the manifest first; then, at the instant of the snapshot (under the
// whole keyspace), it writes out what was appended so far to the old file
// and switches appends to the new one. Every write is thus in the
// snapshot or in the new file, never both. The snapshot is written as the
// new base in the background; then the manifest names it, the files it
// replaces become history and are deleted.

type aofMode uint8

const (
	aofOff aofMode = iota
	aofOn
	// aofWaitRewrite: switched on at run time; writes go to a temporary
	// incremental file until the first base exists.
	aofWaitRewrite
)

// appendfsync policies.
const (
	fsyncEverysec int32 = iota
	fsyncAlways
	fsyncNo
)

// Bits of aofState.refuse, what the dispatcher refuses.
const (
	refuseLoading  = 1 << iota // the dataset is loading: LOADING
	refuseWriteErr             // the AOF cannot be written: MISCONF
)

type aofState struct {
	// on: commands are propagated (the file is open, or a rewrite
	// collects what switching on missed).
	on atomic.Bool
	// refuse is checked by the dispatcher for every command.
	refuse  atomic.Uint32
	loading atomic.Bool
	// exclusive is the unit holding the whole keyspace, which receives
	// the deletions of expired keys (guarded by the keyspace's world
	// lock: written under it exclusively, read under it).
	exclusive *Client
	// served is the unit of a blocked client being served (one goroutine
	// serves at a time).
	served propState

	policy    atomic.Int32
	timestamp atomic.Bool // aof-timestamp-enabled
	// noFsyncOnRewrite is no-appendfsync-on-rewrite: no fsync while a
	// snapshot or rewrite is being written.
	noFsyncOnRewrite atomic.Bool

	// mu guards the buffer of appended bytes not yet written.
	mu         sync.Mutex
	appending  bool
	buf, spare []byte
	selectedDB int
	appended   int64 // bytes ever appended
	lastTS     int64

	// wmu is held by whoever writes the buffer to the file, or switches
	// or closes the file; released with unlockWrite, which wakes the
	// clients waiting for that write (round, closed then replaced).
	wmu      sync.Mutex
	yield    *pollYield // fillBatch's (under wmu)
	roundMu  sync.Mutex
	round    chan struct{}
	file     *os.File
	incrSize int64
	written  atomic.Int64 // bytes of appended written to the OS
	synced   atomic.Int64 // ... and fsynced
	// fmu orders background fsyncs with closing files that were retired.
	fmu       sync.Mutex
	lastFsync atomic.Int64 // unix ms
	writeErr  atomic.Pointer[string]

	// delOffset is where the last deletion by expiry or eviction ended:
	// the command that caused it replies only once it is written.
	delOffset atomic.Int64

	currentSize atomic.Int64 // aof_current_size
	bufferLen   atomic.Int64

	// ctl guards the life cycle below: switching on and off, rewrites,
	// the manifest.
	ctl  sync.Mutex
	mode aofMode
	// gen is bumped when the AOF is switched off or closed: a rewrite
	// started before is abandoned.
	gen              atomic.Int64
	closed           atomic.Bool
	dir              string
	manifest         *persistence.Manifest
	rewriting        bool
	rewriteScheduled bool
	rewriteStart     time.Time
	lastRewriteSec   int64
	lastRewriteOK    bool
	rewrites         int64
	failures         int64 // consecutive rewrite failures
	nextRewriteTry   time.Time
	retryDelay       time.Duration
	rewriteBaseSize  int64
	abortRewrite     chan struct{}
	// loopStop and loopDone control the background loop (under wmu).
	loopStop chan struct{}
	loopDone chan struct{}
	bg       sync.WaitGroup // rewrites and switching on in the background
	tempSeq  int64
}

// initAOF prepares the AOF's hooks; it runs in New after the hooks it
// chains (notifications, eviction) are set.
func (s *Server) initAOF() {
	a := &s.aof
	a.lastRewriteSec = -1
	a.lastRewriteOK = true
	a.selectedDB = -1
	expired, evicted := s.store.Hooks.Expired, s.store.Hooks.Evicted
	s.store.Hooks.Expired = func(db *store.DB, key string) {
		s.propDeleted(db, key)
		if expired != nil {
			expired(db, key)
		}
	}
	s.store.Hooks.Evicted = func(db *store.DB, key string) {
		s.propDeleted(db, key)
		if evicted != nil {
			evicted(db, key)
		}
	}
	setPolicy := func(v string) error {
		switch v {
		case "always":
			a.policy.Store(fsyncAlways)
		case "no":
			a.policy.Store(fsyncNo)
		default:
			a.policy.Store(fsyncEverysec)
		}
		return nil
	}
	_ = setPolicy(s.cfg.String("appendfsync"))
	s.cfg.OnApply("appendfsync", setPolicy)
	setTimestamp := func(v string) error {
		a.timestamp.Store(v == "yes")
		return nil
	}
	_ = setTimestamp(s.cfg.String("aof-timestamp-enabled"))
	s.cfg.OnApply("aof-timestamp-enabled", setTimestamp)
	setNoFsync := func(v string) error {
		a.noFsyncOnRewrite.Store(v == "yes")
		return nil
	}
	_ = setNoFsync(s.cfg.String("no-appendfsync-on-rewrite"))
	s.cfg.OnApply("no-appendfsync-on-rewrite", setNoFsync)
	s.cfg.OnApply("appendonly", func(v string) error {
		if v == "yes" {
			return s.startAppendOnly()
		}
		s.stopAppendOnly()
		return nil
	})
}

func (s *Server) aofDir() string {
	return filepath.Join(s.cfg.String("dir"), s.cfg.String("appenddirname"))
}

func (s *Server) aofFilename() string { return s.cfg.String("appendfilename") }

// --- appending --------------------------------------------------------

var (
	aofMulti = []byte("*1\r\n$5\r\nMULTI\r\n")
	aofExec  = []byte("*1\r\n$4\r\nEXEC\r\n")
)

// aofAppendUnit appends a unit's operations, wrapped in MULTI/EXEC when
// there are several, and returns the offset its last byte has (0 when the
// AOF is off).
func (s *Server) aofAppendUnit(p *propState) int64 {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.appending {
		return 0
	}
	before := len(a.buf)
	a.annotateLocked()
	wrap := len(p.ops) > 1
	start := 0
	for i, op := range p.ops {
		if op.db != a.selectedDB {
			a.buf = persistence.AppendSelect(a.buf, op.db)
			a.selectedDB = op.db
		}
		if i == 0 && wrap {
			a.buf = append(a.buf, aofMulti...)
		}
		a.buf = append(a.buf, p.buf[start:op.end]...)
		start = op.end
	}
	if wrap {
		a.buf = append(a.buf, aofExec...)
	}
	a.appended += int64(len(a.buf) - before)
	a.bufferLen.Store(int64(len(a.buf)))
	return a.appended
}

// aofAppendDel appends DEL key (an expired or evicted key).
func (s *Server) aofAppendDel(db int, key string) {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.appending {
		return
	}
	before := len(a.buf)
	a.annotateLocked()
	if db != a.selectedDB {
		a.buf = persistence.AppendSelect(a.buf, db)
		a.selectedDB = db
	}
	a.buf = append(a.buf, "*2\r\n$3\r\nDEL\r\n"...)
	a.buf = persistence.AppendBulkString(a.buf, key)
	a.appended += int64(len(a.buf) - before)
	a.bufferLen.Store(int64(len(a.buf)))
	a.delOffset.Store(a.appended)
}

// annotateLocked writes aof-timestamp-enabled's "#TS:" line when the
// second changed.
func (a *aofState) annotateLocked() {
	if !a.timestamp.Load() {
		return
	}
	if now := time.Now().Unix(); now > a.lastTS {
		a.lastTS = now
		a.buf = persistence.AppendTimestamp(a.buf, now)
	}
}

// aofWriteLocked writes the buffer to the file (wmu held) and, with
// fsync, syncs it. A failed write keeps what was not written for a
// retry, after removing a partial command from the file as Redis does.
func (s *Server) aofWriteLocked(fsync bool) error {
	return s.aofWriteSyncing(fsync, persistence.SyncData)
}

// aofWriteSyncing is aofWriteLocked with the fsync function to use.
func (s *Server) aofWriteSyncing(fsync bool, syncData func(*os.File) error) error {
	a := &s.aof
	a.mu.Lock()
	buf := a.buf
	a.buf, a.spare = a.spare[:0], nil
	a.bufferLen.Store(0)
	a.mu.Unlock()
	if a.file == nil {
		return nil
	}
	if len(buf) > 0 {
		n, err := persistence.WriteInline(a.file, buf)
		if err != nil {
			if n > 0 && a.file.Truncate(a.incrSize) == nil {
				n = 0
			}
			a.incrSize += int64(n)
			a.written.Add(int64(n))
			a.currentSize.Add(int64(n))
			rest := append([]byte(nil), buf[n:]...)
			a.mu.Lock()
			a.buf = append(rest, a.buf...)
			a.bufferLen.Store(int64(len(a.buf)))
			a.mu.Unlock()
			s.aofWriteFailed("Error writing to the AOF file", err)
			return err
		}
		a.incrSize += int64(n)
		a.written.Add(int64(n))
		a.currentSize.Add(int64(n))
		a.mu.Lock()
		if cap(buf) <= 1<<22 && cap(buf) > cap(a.spare) {
			a.spare = buf[:0]
		}
		a.mu.Unlock()
	}
	if fsync && a.synced.Load() < a.written.Load() {
		off := a.written.Load()
		if err := syncData(a.file); err != nil {
			s.aofWriteFailed("Can't persist AOF for fsync error", err)
			return err
		}
		a.synced.Store(off)
		a.lastFsync.Store(time.Now().UnixMilli())
	}
	s.aofWriteRecovered()
	return nil
}

// aofWriteFailed records a write or fsync error: until a write succeeds,
// write commands are refused with MISCONF.
func (s *Server) aofWriteFailed(what string, err error) {
	msg := strerror(err)
	if old := s.aof.writeErr.Swap(&msg); old == nil {
		s.logf("%s: %s", what, msg)
	}
	s.aof.refuse.Or(refuseWriteErr)
}

func (s *Server) aofWriteRecovered() {
	if s.aof.writeErr.Load() != nil && s.aof.writeErr.Swap(nil) != nil {
		s.aof.refuse.And(^uint32(refuseWriteErr))
		s.logf("AOF write error looks solved, Redis can write again.")
	}
}

// strerror words an error as C's strerror does.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			return strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// aofAwait holds a client's replies until what its commands appended is
// written (appendfsync always: fsynced). It reports false when, with
// always, that failed: the client must not be told its write succeeded.
func (s *Server) aofAwait(c *Client) bool {
	a := &s.aof
	off := c.prop.wait
	c.prop.wait = 0
	always := a.policy.Load() == fsyncAlways && !s.fsyncSuspended()
	done := func() bool {
		if always {
			return a.synced.Load() >= off
		}
		return a.written.Load() >= off
	}
	if done() {
		return true
	}
	if !always {
		// Let the clients that are ready run first: what they append is
		// then written with this, one write for many.
		runtime.Gosched()
	}
	for !done() {
		if !a.wmu.TryLock() {
			// A round read before trying the lock ends when whoever
			// holds it lets go: waiting on it cannot miss that.
			round := a.currentRound()
			if !a.wmu.TryLock() {
				<-round
				continue
			}
		}
		if a.file == nil {
			s.unlockWrite()
			return true // switched off meanwhile: nothing to wait for
		}
		// With always, the fsync holds this goroutine's processor, as
		// Redis's event loop waits for it: handing the processor to
		// another thread for every fsync and taking it back cost more
		// than the sync itself (server CPU per SET at -P 1 went from
		// about 36 µs to 27 µs, context switches from 0.6 to 0.2 per
		// request). So that one fsync covers every client whose request
		// has arrived, as Redis reads all ready clients before its
		// fsync, fillBatch first lets them run and append: yielding
		// alone fsynced for about 17 of redis-benchmark's 50 clients at
		// a time, Redis for 25, fillBatch for 33 (with 20 clients:
		// Redis 10, fillBatch 17).
		if always {
			a.fillBatch()
		}
		err := s.aofWriteSyncing(always, persistence.SyncDataInline)
		s.unlockWrite()
		if err != nil {
			return !always
		}
	}
	return true
}

// fillBatch lets the clients whose requests have arrived append before
// the write lock's holder writes (and fsyncs) for all of them: it waits
// for the next network poll and lets the clients it woke run, and again
// while that brought new appends (clients answered by the last fsync are
// still sending), for at most fillBatchLimit. A lone client pays one
// poll, a few microseconds against the fsync's hundreds.
func (a *aofState) fillBatch() {
	if a.yield == nil && !a.closed.Load() {
		a.yield = newPollYield()
	}
	start := time.Now()
	for {
		before := a.bufferLen.Load()
		a.yield.wait()
		runtime.Gosched()
		if a.bufferLen.Load() == before || time.Since(start) > fillBatchLimit {
			return
		}
	}
}

// fillBatchLimit bounds how long fillBatch may keep gathering, so that a
// steady stream of new clients cannot hold an fsync back.
const fillBatchLimit = time.Millisecond

// currentRound is the channel closed when the write lock is next
// released.
func (a *aofState) currentRound() chan struct{} {
	a.roundMu.Lock()
	defer a.roundMu.Unlock()
	if a.round == nil {
		a.round = make(chan struct{})
	}
	return a.round
}

// unlockWrite releases wmu and wakes every client waiting for the write
// it did, at once.
func (s *Server) unlockWrite() {
	a := &s.aof
	a.wmu.Unlock()
	a.roundMu.Lock()
	round := a.round
	a.round = nil
	a.roundMu.Unlock()
	if round != nil {
		close(round)
	}
}

// errAOFNotPersisted ends a connection whose replies would acknowledge
// writes appendfsync always could not put on disk.
var errAOFNotPersisted = errors.New("AOF write failed")

// aofUnsynced drops the replies of a client whose writes could not be
// made durable and closes its connection: with appendfsync always, Redis
// exits rather than acknowledge them.
func (c *Client) aofUnsynced() error {
	c.w.Reset()
	_ = c.conn.Close()
	return errAOFNotPersisted
}

// aofLoop writes what nobody waits for (deleted keys, served clients not
// yet replying, retries after an error) and, with everysec, fsyncs once
// a second.
func (s *Server) aofLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	a := &s.aof
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		a.mu.Lock()
		pending := len(a.buf) > 0
		a.mu.Unlock()
		if pending || a.writeErr.Load() != nil {
			a.wmu.Lock()
			_ = s.aofWriteLocked(a.policy.Load() == fsyncAlways && !s.fsyncSuspended())
			s.unlockWrite()
		}
		if a.policy.Load() == fsyncEverysec && a.synced.Load() < a.written.Load() &&
			time.Now().UnixMilli()-a.lastFsync.Load() >= 1000 && !s.fsyncSuspended() {
			s.aofFsyncBackground()
		}
	}
}

// fsyncSuspended: no-appendfsync-on-rewrite is set and a snapshot or a
// rewrite is being written.
func (s *Server) fsyncSuspended() bool {
	return s.aof.noFsyncOnRewrite.Load() && s.childKind() != ""
}

// aofFsyncBackground fsyncs the file without holding up writers.
func (s *Server) aofFsyncBackground() {
	a := &s.aof
	a.fmu.Lock()
	defer a.fmu.Unlock()
	a.wmu.Lock()
	f, off := a.file, a.written.Load()
	s.unlockWrite()
	if f == nil {
		return
	}
	if err := persistence.SyncData(f); err != nil {
		if !errors.Is(err, os.ErrClosed) {
			s.aofWriteFailed("Failed to fsync the AOF file", err)
		}
		return
	}
	for {
		cur := a.synced.Load()
		if cur >= off || a.synced.CompareAndSwap(cur, off) {
			break
		}
	}
	a.lastFsync.Store(time.Now().UnixMilli())
}

// retireFile fsyncs and closes an incremental file appends left.
func (s *Server) retireFile(f *os.File) {
	a := &s.aof
	a.fmu.Lock()
	defer a.fmu.Unlock()
	if err := persistence.SyncData(f); err != nil {
		s.logf("Fail to fsync the AOF file: %s", strerror(err))
	}
	f.Close()
}

// startAppendingLocked makes f the file appends go to (wmu held) and
// starts the background loop.
func (s *Server) startAppendingLocked(f *os.File, size int64) {
	a := &s.aof
	a.file, a.incrSize = f, size
	a.mu.Lock()
	a.appending, a.selectedDB = true, -1
	a.written.Store(a.appended)
	a.synced.Store(a.appended)
	a.mu.Unlock()
	a.lastFsync.Store(time.Now().UnixMilli())
	a.on.Store(true)
	if a.loopStop == nil {
		a.loopStop, a.loopDone = make(chan struct{}), make(chan struct{})
		go s.aofLoop(a.loopStop, a.loopDone)
	}
}

// stopAppendingLocked stops propagating, writes and fsyncs what was
// appended and closes the file (ctl held).
func (s *Server) stopAppendingLocked() {
	a := &s.aof
	a.on.Store(false)
	a.mu.Lock()
	a.appending = false
	a.mu.Unlock()
	a.wmu.Lock()
	if a.file != nil {
		_ = s.aofWriteLocked(true)
		if err := a.file.Close(); err != nil {
			s.logf("Fail to close the AOF file: %s", strerror(err))
		}
		a.file = nil
	}
	a.mu.Lock()
	// What could not be written is dropped with the AOF: nobody waits.
	a.buf, a.selectedDB = a.buf[:0], -1
	a.bufferLen.Store(0)
	a.written.Store(a.appended)
	a.synced.Store(a.appended)
	a.mu.Unlock()
	stop, done := a.loopStop, a.loopDone
	a.loopStop, a.loopDone = nil, nil
	s.unlockWrite()
	s.aofWriteRecovered()
	if stop != nil {
		close(stop)
		<-done
	}
}

// --- loading ----------------------------------------------------------

// loadAOFAtStartup loads the AOF named by the manifest (upgrading a
// legacy single appendonly.aof first) and opens it for appending, as
// Redis does when it starts with appendonly yes.
func (s *Server) loadAOFAtStartup() error {
	a := &s.aof
	a.ctl.Lock()
	defer a.ctl.Unlock()
	dir, filename := s.aofDir(), s.aofFilename()
	m, err := persistence.ReadManifestFile(dir, filename)
	if err != nil {
		return manifestFatal(err)
	}
	if m == nil {
		m = &persistence.Manifest{}
	}
	if m, err = s.upgradeLegacyAOF(dir, filename, m); err != nil {
		return err
	}
	if err := s.loadAOFFiles(dir, m); err != nil {
		return err
	}
	return s.openAOFLocked(dir, filename, m)
}

func manifestFatal(err error) error {
	var me *persistence.ManifestError
	if errors.As(err, &me) && me.Line > 0 {
		return fmt.Errorf("*** FATAL AOF MANIFEST FILE ERROR *** Reading the manifest file, at line %d: >>> '%s': %s",
			me.Line, me.Text, me.Reason)
	}
	return fmt.Errorf("*** FATAL AOF MANIFEST FILE ERROR *** %v", err)
}

// upgradeLegacyAOF moves a Redis 6 style dir/appendonly.aof into the AOF
// directory as its base (Redis's aofUpgradePrepare), when the directory
// does not describe a newer AOF.
func (s *Server) upgradeLegacyAOF(dir, filename string, m *persistence.Manifest) (*persistence.Manifest, error) {
	legacy := filepath.Join(s.cfg.String("dir"), filename)
	if !fileExists(legacy) {
		return m, nil
	}
	_, dirErr := os.Stat(dir)
	upgrade := dirErr != nil || (m.Base == nil && len(m.Incr) == 0) ||
		(m.Base != nil && len(m.Incr) == 0 && m.Base.Name == filename && !fileExists(filepath.Join(dir, filename)))
	if !upgrade {
		return m, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("Can't open or create append-only dir %s: %s", dir, strerror(err))
	}
	m = &persistence.Manifest{Base: &persistence.AOFFile{Name: filename, Seq: 1, Type: persistence.AOFBase}, BaseSeq: 1}
	if err := persistence.WriteManifestFile(dir, filename, m); err != nil {
		return nil, err
	}
	if err := os.Rename(legacy, filepath.Join(dir, filename)); err != nil {
		return nil, fmt.Errorf("Error trying to move the old AOF file %s into dir %s: %s", filename, dir, strerror(err))
	}
	s.logf("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", filename, dir)
	return m, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// loadAOFFiles replays the base and the incremental files in order.
func (s *Server) loadAOFFiles(dir string, m *persistence.Manifest) error {
	return s.loadAOFFilesAs(dir, m, false)
}

// loadAOFFilesAs is loadAOFFiles; held says the caller holds the whole
// keyspace (DEBUG LOADAOF), so the replayed commands take no locks.
func (s *Server) loadAOFFilesAs(dir string, m *persistence.Manifest, held bool) error {
	files := m.Loaded()
	if len(files) == 0 {
		return nil
	}
	var total int64
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("Fatal error: the AOF file %s named by the manifest doesn't exist", f.Name)
			}
			return fmt.Errorf("Unable to obtain the AOF file %s length. stat: %s", f.Name, strerror(err))
		}
		total += st.Size()
	}
	a := &s.aof
	if total == 0 {
		return nil
	}
	a.loading.Store(true)
	a.refuse.Or(refuseLoading)
	s.store.SetLoading(true)
	defer func() {
		s.store.SetLoading(false)
		a.refuse.And(^uint32(refuseLoading))
		a.loading.Store(false)
	}()
	start := time.Now()
	l := &aofLoader{s: s, c: s.aofClient(), held: held}
	for i, f := range files {
		fstart := time.Now()
		if err := l.loadFile(dir, f.Name, i == len(files)-1); err != nil {
			return err
		}
		kind := "incr"
		if f.Type == persistence.AOFBase {
			kind = "base"
		}
		s.logf("DB loaded from %s file %s: %.3f seconds", kind, f.Name, time.Since(fstart).Seconds())
	}
	s.logf("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	return nil
}

// aofClient is the client commands are replayed as: no connection, no
// reply kept, never blocking (Redis's createAOFClient).
func (s *Server) aofClient() *Client {
	c := &Client{srv: s, id: -1, authed: true, noBlock: true}
	c.w = resp.NewWriter()
	c.w.Limit = s.maxReplyBytes
	c.db = s.store.DB(0)
	c.keyBuf = make([][]byte, 0, 16)
	return c
}

type aofLoader struct {
	s    *Server
	c    *Client
	held bool // the keyspace is held for the whole load
}

// loadFile replays one file. A torn last command in the last file is
// dropped (the file truncated after the last whole command) when
// aof-load-truncated allows; anything else that is not a command stops
// the load, naming the file and the offset.
func (l *aofLoader) loadFile(dir, name string, last bool) error {
	s := l.s
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("Fatal error: can't open the append log file %s for reading: %s", name, strerror(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("Fatal error: can't stat the append log file %s: %s", name, strerror(err))
	}
	if st.Size() == 0 {
		return nil
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var base int64
	if persistence.HasRDBPreamble(br) {
		if err := s.loadRDB(br, true); err != nil {
			return fmt.Errorf("Error reading the RDB base file %s, AOF loading aborted: %v", name, err)
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("Unrecoverable error reading the append only file %s: %s", name, strerror(err))
		}
		base = pos - int64(br.Buffered())
	}
	l.c.db = s.store.DB(0)
	rd := persistence.NewAOFReader(br, base)
	validUpTo, beforeMulti := base, base
	var queue []queuedCommand
	inMulti := false
	for {
		args, err := rd.Next()
		if err == io.EOF {
			break
		}
		var ae *persistence.AOFError
		if errors.As(err, &ae) {
			if ae.Kind == persistence.AOFTruncated {
				return l.truncated(path, name, last, validUpTo, ae.Pos)
			}
			return fmt.Errorf("Bad file format reading the append only file %s at offset %d (command at offset %d: %s): "+
				"make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
				name, ae.Pos, ae.Offset, ae.Reason)
		}
		if err != nil {
			return fmt.Errorf("Unrecoverable error reading the append only file %s: %s", name, strerror(err))
		}
		cmd, problem := resolveCommand(args)
		if cmd == nil {
			if table.lookup(args[0]) == nil {
				return fmt.Errorf("Unknown command '%s' reading the append only file %s at offset %d",
					cString(args[0]), name, rd.Offset())
			}
			s.logf("Skipping a command of the append only file %s at offset %d: %s", name, rd.Offset(), problem)
			validUpTo = rd.Offset()
			continue
		}
		switch {
		case cmd.Name == "multi":
			beforeMulti, inMulti, queue = validUpTo, true, queue[:0]
		case cmd.Name == "exec":
			if inMulti {
				l.exec(queue)
			}
			inMulti = false
		case inMulti:
			queue = append(queue, queuedCommand{cmd, args})
		default:
			l.run(cmd, args)
		}
		validUpTo = rd.Offset()
	}
	if inMulti {
		s.logf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
		return l.truncated(path, name, last, beforeMulti, rd.Offset())
	}
	return nil
}

// truncated handles a file that ends inside a command (or a MULTI).
func (l *aofLoader) truncated(path, name string, last bool, validUpTo, at int64) error {
	s := l.s
	if !s.cfg.Bool("aof-load-truncated") {
		return fmt.Errorf("Unexpected end of file reading the append only file %s (at offset %d). You can: "+
			"1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "+
			"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
			name, at)
	}
	if !last {
		return fmt.Errorf("Fatal error: the truncated file is not the last file (%s ends inside a command at offset %d)", name, at)
	}
	s.logf("!!! Warning: short read while loading the AOF file %s!!!", name)
	s.logf("!!! Truncating the AOF %s at offset %d !!!", name, validUpTo)
	if err := os.Truncate(path, validUpTo); err != nil {
		return fmt.Errorf("Error truncating the AOF file %s: %s", name, strerror(err))
	}
	s.logf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
	return nil
}

// run replays one command under the locks it needs.
func (l *aofLoader) run(cmd *Command, args [][]byte) {
	s, c := l.s, l.c
	c.now = s.clock.NowMs()
	if !l.held {
		s.lockFor(c, cmd, args)
	}
	l.call(cmd, args)
	if c.locks.Held() {
		c.locks.Release()
	}
}

// exec replays a transaction holding the whole keyspace.
func (l *aofLoader) exec(queue []queuedCommand) {
	s, c := l.s, l.c
	c.now = s.clock.NowMs()
	if !l.held {
		c.locks.All(s.store)
	}
	for _, q := range queue {
		l.call(q.cmd, q.args)
	}
	if c.locks.Held() {
		c.locks.Release()
	}
}

// call runs a command's handler with its locks held. An absolute expire
// time that has passed since the command was written is set as it is:
// while loading, Redis does not take such a time as a deletion
// (checkAlreadyExpired), because later commands in the file were applied
// while the key lived; the key expires once loading is done.
func (l *aofLoader) call(cmd *Command, args [][]byte) {
	s, c := l.s, l.c
	c.cmd = cmd
	if cmd.Name == "xadd" || cmd.Name == "xtrim" {
		args = dropExactTrimLimit(args)
	}
	idx, when := pastExpireArg(cmd.Name, args, c.now)
	var stand int64
	if idx > 0 {
		// Run with a time far ahead, then put the real one in its place.
		stand = (c.now/1000 + 100*365*24*3600) * 1000
		unit := int64(1)
		if eqFold(args[idx-1], "exat") || cmd.Name == "expireat" {
			unit = 1000
		}
		args[idx] = strconv.AppendInt(nil, stand/unit, 10)
	}
	s.runHandler(c, cmd, args)
	if idx > 0 {
		if e := c.db.Peek(args[1]); e != nil && e.Expire == stand {
			c.db.SetExpire(e, when)
		}
	}
	c.w.Reset()
}

// dropExactTrimLimit removes the LIMIT of an exact trim: Redis writes an
// approximate trim as the exact one it amounted to but keeps its LIMIT,
// which it ignores when loading (the trim is exact), and which a client
// may not send without "~".
func dropExactTrimLimit(args [][]byte) [][]byte {
	exact := false
	for i := 2; i < len(args); i++ {
		a := args[i]
		switch {
		case eqFold(a, "nomkstream"):
		case (eqFold(a, "maxlen") || eqFold(a, "minid")) && i+1 < len(args):
			exact = string(args[i+1]) != "~"
			if string(args[i+1]) == "~" || string(args[i+1]) == "=" {
				i++
			}
			i++
		case eqFold(a, "limit") && i+1 < len(args):
			if exact {
				return append(args[:i:i], args[i+2:]...)
			}
			i++
		default:
			return args // the ID: fields follow
		}
	}
	return args
}

// pastExpireArg finds the absolute expire time of PEXPIREAT, EXPIREAT,
// SET ... PXAT/EXAT, GETEX ... PXAT/EXAT and RESTORE ... ABSTTL when it is
// at or before now: its index and its time in ms (0, 0 otherwise).
func pastExpireArg(name string, args [][]byte, now int64) (int, int64) {
	idx, unit := 0, int64(1)
	switch name {
	case "pexpireat", "expireat":
		if len(args) >= 3 {
			idx = 2
		}
		if name == "expireat" {
			unit = 1000
		}
	case "set", "getex":
		for i := 2; i+1 < len(args); i++ {
			if eqFold(args[i], "pxat") || eqFold(args[i], "exat") {
				idx = i + 1
				if eqFold(args[i], "exat") {
					unit = 1000
				}
			}
		}
	case "restore":
		for _, a := range args[4:] {
			if eqFold(a, "absttl") {
				idx = 2
			}
		}
	}
	if idx == 0 {
		return 0, 0
	}
	v, ok := parseInt(args[idx])
	if !ok || v <= 0 || v > math.MaxInt64/unit || v*unit > now {
		return 0, 0
	}
	return idx, v * unit
}

// openAOFLocked opens the AOF for appending after loading (Redis's
// aofOpenIfNeededOnServerStart): an empty directory gets a base first,
// appends go to the last incremental file (created when there is none),
// and the manifest is written (ctl held).
func (s *Server) openAOFLocked(dir, filename string, m *persistence.Manifest) error {
	a := &s.aof
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %s", dir, strerror(err))
	}
	if m.Base == nil && len(m.Incr) == 0 {
		preamble := s.cfg.Bool("aof-use-rdb-preamble")
		name := m.NewBase(filename, preamble)
		var l store.Locks
		l.All(s.store)
		snap := s.heldSnapshot()
		err := s.writeAOFBase(snap, filepath.Join(dir, name), preamble, nil)
		l.Release()
		if err != nil {
			return fmt.Errorf("Creating AOF base file %s on server start failed: %v", name, err)
		}
		s.logf("Creating AOF base file %s on server start", name)
	}
	existing := len(m.Incr) > 0
	name := m.LastIncr(filename)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the append-only file %s: %s", name, strerror(err))
	}
	if err := persistence.WriteManifestFile(dir, filename, m); err != nil {
		f.Close()
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("Can't stat the append-only file %s: %s", name, strerror(err))
	}
	if existing {
		s.logf("Opening AOF incr file %s on server start", name)
	} else {
		s.logf("Creating AOF incr file %s on server start", name)
	}
	a.dir, a.manifest, a.mode = dir, m, aofOn
	a.currentSize.Store(s.aofFilesSize(dir, m))
	a.rewriteBaseSize = 0
	if m.Base != nil {
		a.rewriteBaseSize = fileSize(filepath.Join(dir, m.Base.Name))
	}
	a.wmu.Lock()
	s.startAppendingLocked(f, st.Size())
	s.unlockWrite()
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// aofFilesSize is the size of the base and incremental files.
func (s *Server) aofFilesSize(dir string, m *persistence.Manifest) int64 {
	var n int64
	for _, f := range m.Loaded() {
		n += fileSize(filepath.Join(dir, f.Name))
	}
	return n
}

// --- switching on and off ---------------------------------------------

// startAppendOnly is CONFIG SET appendonly yes: a rewrite creates the
// first base while writes collect in a temporary incremental file. It
// starts in the background (CONFIG SET may run inside a transaction,
// which holds the keyspace the snapshot needs).
func (s *Server) startAppendOnly() error {
	a := &s.aof
	a.ctl.Lock()
	defer a.ctl.Unlock()
	if a.mode != aofOff || a.closed.Load() {
		return nil
	}
	a.mode, a.rewriteScheduled = aofWaitRewrite, true
	a.failures = 0
	s.aofWriteRecovered()
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		s.startScheduledRewrite()
	}()
	return nil
}

// stopAppendOnly is CONFIG SET appendonly no: flush, fsync and close;
// a running rewrite is abandoned.
func (s *Server) stopAppendOnly() {
	a := &s.aof
	a.ctl.Lock()
	defer a.ctl.Unlock()
	if a.mode == aofOff {
		return
	}
	s.abortRewriteLocked()
	s.stopAppendingLocked()
	a.mode, a.rewriteScheduled = aofOff, false
}

func (s *Server) abortRewriteLocked() {
	a := &s.aof
	a.gen.Add(1)
	if a.abortRewrite != nil {
		close(a.abortRewrite)
		a.abortRewrite = nil
	}
}

// closeAOF is the AOF's part of Close: stop a rewrite, write and fsync
// what was appended, close the file.
func (s *Server) closeAOF() {
	a := &s.aof
	a.ctl.Lock()
	a.closed.Store(true)
	s.abortRewriteLocked()
	a.ctl.Unlock()
	a.bg.Wait()
	a.ctl.Lock()
	defer a.ctl.Unlock()
	if a.mode != aofOff {
		s.stopAppendingLocked()
		a.mode = aofOff
	}
	a.wmu.Lock()
	a.yield.close()
	a.yield = nil
	s.unlockWrite()
}

// --- rewriting --------------------------------------------------------

var (
	errRewriteInProgress = errors.New("ERR Background append only file rewriting already in progress")
	errRewriteFailed     = errors.New("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
)

func init() {
	register([]binding{{"bgrewriteaof", cmdBgRewriteAOF, lockNone}})
}

func cmdBgRewriteAOF(c *Client, args [][]byte) {
	s := c.srv
	a := &s.aof
	switch kind := s.childKind(); {
	case kind == "aof":
		c.w.Error(errRewriteInProgress.Error())
		return
	case kind != "" || c.locks.Held():
		s.scheduleRewrite()
		c.w.Status("Background append only file rewriting scheduled")
		return
	}
	switch err := s.startRewrite(); err {
	case nil:
		c.w.Status("Background append only file rewriting started")
	case errChildBusy:
		s.scheduleRewrite()
		c.w.Status("Background append only file rewriting scheduled")
	case errRewriteInProgress:
		c.w.Error(err.Error())
	default:
		a.ctl.Lock()
		a.lastRewriteOK = false
		a.ctl.Unlock()
		c.w.Error(errRewriteFailed.Error())
	}
}

// scheduleRewrite asks the cron to start a rewrite when it can; a manual
// request lifts the delay after repeated failures.
func (s *Server) scheduleRewrite() {
	a := &s.aof
	a.ctl.Lock()
	a.rewriteScheduled = true
	a.failures = 0
	a.nextRewriteTry = time.Time{}
	a.ctl.Unlock()
}

// aofCron starts a scheduled rewrite, or one auto-aof-rewrite-percentage
// asks for (Redis's serverCron).
func (s *Server) aofCron() {
	a := &s.aof
	a.ctl.Lock()
	scheduled, mode, rewriting := a.rewriteScheduled, a.mode, a.rewriting
	limited := time.Now().Before(a.nextRewriteTry)
	baseSize := a.rewriteBaseSize
	a.ctl.Unlock()
	if rewriting || limited || s.childKind() != "" {
		return
	}
	if scheduled {
		s.startScheduledRewrite()
		return
	}
	perc, minSize := s.cfg.Int("auto-aof-rewrite-percentage"), s.cfg.Int("auto-aof-rewrite-min-size")
	cur := a.currentSize.Load()
	if mode != aofOn || perc == 0 || cur <= minSize {
		return
	}
	if baseSize == 0 {
		baseSize = 1
	}
	if growth := cur*100/baseSize - 100; growth >= perc {
		s.logf("Starting automatic rewriting of AOF on %d%% growth", growth)
		if err := s.startRewrite(); err != nil && err != errChildBusy && err != errRewriteInProgress {
			s.rewriteFailed(err)
		}
	}
}

func (s *Server) startScheduledRewrite() {
	if err := s.startRewrite(); err != nil && err != errChildBusy && err != errRewriteInProgress {
		s.rewriteFailed(err)
	}
}

// rewriteFailed counts a failure; after three in a row, automatic and
// scheduled rewrites wait 1, 2, 4 ... 60 minutes (aofRewriteLimited).
func (s *Server) rewriteFailed(err error) {
	a := &s.aof
	a.ctl.Lock()
	defer a.ctl.Unlock()
	s.rewriteFailedLocked(err)
}

func (s *Server) rewriteFailedLocked(err error) {
	a := &s.aof
	a.lastRewriteOK = false
	a.failures++
	if a.mode == aofWaitRewrite {
		a.rewriteScheduled = true
	}
	if a.failures >= 3 {
		switch {
		case a.retryDelay == 0:
			a.retryDelay = time.Minute
		case a.retryDelay < time.Hour:
			a.retryDelay = min(2*a.retryDelay, time.Hour)
		}
		a.nextRewriteTry = time.Now().Add(a.retryDelay)
		s.logf("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes", int(a.retryDelay/time.Minute))
	}
	s.logf("Background AOF rewrite terminated with error: %v", err)
}

// startRewrite starts a background rewrite (Redis's
// rewriteAppendOnlyFileBackground). Call with no keyspace lock held.
func (s *Server) startRewrite() error {
	if !s.claimChild("aof") {
		if s.childKind() == "aof" {
			return errRewriteInProgress
		}
		return errChildBusy
	}
	a := &s.aof
	a.ctl.Lock()
	if a.closed.Load() {
		a.ctl.Unlock()
		s.releaseChild()
		return errRewriteFailed
	}
	mode, gen := a.mode, a.gen.Load()
	dir, filename := a.dir, s.aofFilename()
	if mode != aofOn {
		dir = s.aofDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		a.ctl.Unlock()
		s.releaseChild()
		s.logf("Can't open or create append-only dir %s: %s", dir, strerror(err))
		return err
	}
	// The file appends will go to after the snapshot, made (and named
	// in the manifest) before it: an empty extra incremental file is
	// harmless should we stop here.
	var next *os.File
	switch mode {
	case aofOn:
		m := a.manifest.Clone()
		name := m.NewIncr(filename)
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			if err = persistence.WriteManifestFile(dir, filename, m); err != nil {
				f.Close()
				os.Remove(filepath.Join(dir, name))
			}
		} else {
			err = fmt.Errorf("Can't open the append-only file %s: %s", name, strerror(err))
		}
		if err != nil {
			a.ctl.Unlock()
			s.releaseChild()
			s.logf("%v", err)
			return err
		}
		a.manifest = m
		next = f
		s.logf("Creating AOF incr file %s on background rewrite", name)
	case aofWaitRewrite:
		name := persistence.TempIncrName(filename)
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			a.ctl.Unlock()
			s.releaseChild()
			s.logf("Can't open the append-only file %s: %s", name, strerror(err))
			return err
		}
		a.dir = dir
		next = f
	}
	abort := make(chan struct{})
	a.abortRewrite = abort
	a.rewriting, a.rewriteScheduled = true, false
	a.rewriteStart = time.Now()
	a.rewrites++
	a.bg.Add(1) // counted before closeAOF can wait: closed was checked
	a.ctl.Unlock()

	switched := next == nil
	snap := s.beginSnapshot(func() {
		if next != nil {
			switched = s.switchIncrAt(next, mode, gen)
		}
	})
	if !switched {
		snap.Close()
		next.Close()
		a.ctl.Lock()
		a.rewriting = false
		a.ctl.Unlock()
		s.releaseChild()
		a.bg.Done()
		return errRewriteFailed
	}
	s.logf("Background append only file rewriting started")
	go func() {
		defer a.bg.Done()
		defer s.childProcs()()
		s.finishRewrite(snap, dir, mode, gen, abort)
	}()
	return nil
}

// switchIncrAt runs at the snapshot's instant, holding the whole
// keyspace: what was appended so far goes to the current file, what is
// appended from now on to next.
func (s *Server) switchIncrAt(next *os.File, mode aofMode, gen int64) bool {
	a := &s.aof
	a.wmu.Lock()
	defer s.unlockWrite()
	// Checked under wmu: switching off bumps gen before it takes wmu.
	if a.gen.Load() != gen || a.closed.Load() {
		return false
	}
	old := a.file
	if old != nil {
		if err := s.aofWriteLocked(a.policy.Load() == fsyncAlways); err != nil {
			return false
		}
	}
	if mode == aofWaitRewrite {
		s.startAppendingLocked(next, 0)
		return true
	}
	a.file, a.incrSize = next, 0
	a.mu.Lock()
	a.selectedDB = -1 // the new file starts after a base of any database
	a.mu.Unlock()
	if old != nil {
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			s.retireFile(old)
		}()
	}
	return true
}

// finishRewrite writes the snapshot as the new base and installs it
// (Redis's backgroundRewriteDoneHandler).
func (s *Server) finishRewrite(snap *snapshot, dir string, mode aofMode, gen int64, abort chan struct{}) {
	a := &s.aof
	defer s.releaseChild()
	a.ctl.Lock()
	a.tempSeq++
	tmp := filepath.Join(dir, fmt.Sprintf("temp-rewriteaof-bg-%d-%d.aof", os.Getpid(), a.tempSeq))
	a.ctl.Unlock()
	preamble := s.cfg.Bool("aof-use-rdb-preamble")
	err := s.writeAOFBase(snap, tmp, preamble, abort)
	snap.Close()

	a.ctl.Lock()
	defer a.ctl.Unlock()
	a.rewriting = false
	a.lastRewriteSec = int64(time.Since(a.rewriteStart).Round(time.Second) / time.Second)
	if a.abortRewrite == abort {
		a.abortRewrite = nil
	}
	if a.gen.Load() != gen || a.closed.Load() {
		os.Remove(tmp)
		s.logf("Background AOF rewrite terminated by the AOF being switched off")
		return
	}
	if err != nil {
		os.Remove(tmp)
		s.rewriteFailedLocked(err)
		if mode == aofWaitRewrite {
			s.abandonTempIncrLocked(dir)
		}
		return
	}
	s.logf("Background AOF rewrite terminated with success")
	filename := s.aofFilename()
	m := a.manifest
	if mode != aofOn {
		m = &persistence.Manifest{}
		if old, _ := persistence.ReadManifestFile(dir, filename); old != nil {
			m = old // its files become history
		}
	}
	m = m.Clone()
	base := m.NewBase(filename, preamble)
	if err := os.Rename(tmp, filepath.Join(dir, base)); err != nil {
		os.Remove(tmp)
		s.rewriteFailedLocked(fmt.Errorf("Error trying to rename the temporary AOF base file %s into %s: %s",
			filepath.Base(tmp), base, strerror(err)))
		if mode == aofWaitRewrite {
			s.abandonTempIncrLocked(dir)
		}
		return
	}
	tempIncr := filepath.Join(dir, persistence.TempIncrName(filename))
	var incr string
	if mode == aofWaitRewrite {
		m.RetireIncr(false)
		incr = m.NewIncr(filename)
		if err := os.Rename(tempIncr, filepath.Join(dir, incr)); err != nil {
			os.Remove(filepath.Join(dir, base))
			s.rewriteFailedLocked(fmt.Errorf("Error trying to rename the temporary AOF incr file %s into %s: %s",
				filepath.Base(tempIncr), incr, strerror(err)))
			s.abandonTempIncrLocked(dir)
			return
		}
	} else {
		m.RetireIncr(mode == aofOn)
	}
	if err := persistence.WriteManifestFile(dir, filename, m); err != nil {
		os.Remove(filepath.Join(dir, base))
		if incr != "" {
			os.Rename(filepath.Join(dir, incr), tempIncr)
		}
		s.rewriteFailedLocked(err)
		if mode == aofWaitRewrite {
			s.abandonTempIncrLocked(dir)
		}
		return
	}
	a.manifest = m
	if mode == aofWaitRewrite {
		a.mode = aofOn
	}
	if a.mode == aofOn {
		a.wmu.Lock()
		incrSize := a.incrSize
		s.unlockWrite()
		size := fileSize(filepath.Join(dir, base)) + incrSize
		a.currentSize.Store(size)
		a.rewriteBaseSize = size
	}
	s.deleteHistoryLocked(dir, filename)
	a.lastRewriteOK, a.failures, a.retryDelay, a.nextRewriteTry = true, 0, 0, time.Time{}
	s.logf("Background AOF rewrite finished successfully")
}

// abandonTempIncrLocked undoes switching on after a failed first
// rewrite: nothing is collected until the next attempt (ctl held).
func (s *Server) abandonTempIncrLocked(dir string) {
	s.stopAppendingLocked()
	os.Remove(filepath.Join(dir, persistence.TempIncrName(s.aofFilename())))
	s.aof.rewriteScheduled = true
}

// deleteHistoryLocked removes the files a rewrite replaced and drops
// them from the manifest (Redis's aofDelHistoryFiles).
func (s *Server) deleteHistoryLocked(dir, filename string) {
	a := &s.aof
	m := a.manifest
	if len(m.History) == 0 || s.cfg.Bool("aof-disable-auto-gc") {
		return
	}
	m = m.Clone()
	for _, h := range m.History {
		s.logf("Removing the history file %s in the background", h.Name)
		os.Remove(filepath.Join(dir, h.Name))
	}
	m.History = nil
	if err := persistence.WriteManifestFile(dir, filename, m); err != nil {
		s.logf("%v", err)
		return
	}
	a.manifest = m
}

// writeAOFBase writes a snapshot as an AOF base: an RDB (aof-base aux
// field set) or, without the preamble, the commands that rebuild it;
// synced to disk before it returns.
func (s *Server) writeAOFBase(snap *snapshot, path string, preamble bool, abort <-chan struct{}) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Opening the temp file for AOF rewrite: %s", strerror(err))
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	var out io.Writer = f
	if s.cfg.Bool("aof-rewrite-incremental-fsync") {
		out = &syncEvery{f: f}
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	if preamble {
		err = snap.WriteRDB(bw, true, abort)
	} else {
		err = s.writeAOFCommands(snap, bw, abort)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fmt.Errorf("Write error writing append only file on disk: %v", err)
	}
	return nil
}

// writeAOFCommands writes a snapshot as commands: its RDB form is decoded
// as it is produced and each key written as the commands that rebuild it.
func (s *Server) writeAOFCommands(snap *snapshot, bw *bufio.Writer, abort <-chan struct{}) error {
	rw := persistence.NewAOFRewriter(bw)
	if s.aof.timestamp.Load() {
		if err := rw.Timestamp(time.Now().Unix()); err != nil {
			return err
		}
	}
	pr, pw := io.Pipe()
	werr := make(chan error, 1)
	go func() {
		err := snap.WriteRDB(pw, true, abort)
		pw.CloseWithError(err)
		werr <- err
	}()
	err := persistence.LoadRDB(bufio.NewReaderSize(pr, 1<<16), persistence.RDBHandler{
		Function: rw.Function,
		Entry:    rw.Item,
	})
	pr.CloseWithError(errors.New("AOF rewrite stopped"))
	if e := <-werr; e != nil && err == nil {
		err = e
	}
	return err
}

// syncEvery fsyncs every 4 MB written (aof-rewrite-incremental-fsync),
// so the kernel never holds much of a base to flush at once.
type syncEvery struct {
	f *os.File
	n int
}

func (w *syncEvery) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if w.n += n; err == nil && w.n >= 4<<20 {
		w.n = 0
		err = w.f.Sync()
	}
	return n, err
}

// --- dispatch, INFO ---------------------------------------------------

const errLoading = "LOADING Redis is loading the dataset in memory"

// aofRefusal is the error a command gets while the dataset loads or the
// AOF cannot be written; "" when it may run. One atomic load otherwise.
func (s *Server) aofRefusal(c *Client, cmd *Command) string {
	r := s.aof.refuse.Load()
	if r == 0 {
		return ""
	}
	if r&refuseLoading != 0 && !cmd.has(flagLoading) {
		return errLoading
	}
	if r&refuseWriteErr != 0 && (cmd.has(flagWrite) || cmd.Name == "ping" || (cmd.Name == "exec" && c.tx.writes)) {
		if msg := s.aof.writeErr.Load(); msg != nil {
			return "MISCONF Errors writing to the AOF file: " + *msg
		}
	}
	return ""
}

// aofInfo writes the AOF fields of INFO persistence.
func (s *Server) aofInfo(b *strings.Builder) {
	a := &s.aof
	a.ctl.Lock()
	mode, rewriting, scheduled := a.mode, a.rewriting, a.rewriteScheduled
	lastSec, ok, rewrites, failures := a.lastRewriteSec, a.lastRewriteOK, a.rewrites, a.failures
	start, baseSize := a.rewriteStart, a.rewriteBaseSize
	a.ctl.Unlock()
	// The rewrite holds the child slot a little past clearing rewriting;
	// BGREWRITEAOF refuses until the slot is free, so INFO reports it
	// until then too, as Redis reports its AOF child.
	rewriting = rewriting || s.childKind() == "aof"
	field(b, "aof_enabled", boolInt(mode != aofOff))
	field(b, "aof_rewrite_in_progress", boolInt(rewriting))
	field(b, "aof_rewrite_scheduled", boolInt(scheduled))
	field(b, "aof_last_rewrite_time_sec", lastSec)
	cur := int64(-1)
	if rewriting {
		cur = int64(time.Since(start) / time.Second)
	}
	field(b, "aof_current_rewrite_time_sec", cur)
	field(b, "aof_last_bgrewrite_status", okErr(ok))
	field(b, "aof_rewrites", rewrites)
	field(b, "aof_rewrites_consecutive_failures", failures)
	field(b, "aof_last_write_status", okErr(a.writeErr.Load() == nil))
	field(b, "aof_last_cow_size", 0)
	field(b, "module_fork_in_progress", 0)
	field(b, "module_fork_last_cow_size", 0)
	if mode == aofOff {
		return
	}
	field(b, "aof_current_size", a.currentSize.Load())
	field(b, "aof_base_size", baseSize)
	field(b, "aof_pending_rewrite", boolInt(scheduled))
	field(b, "aof_buffer_length", a.bufferLen.Load())
	field(b, "aof_pending_bio_fsync", 0)
	field(b, "aof_delayed_fsync", 0)
}

// aofLoading reports whether the AOF is being loaded (INFO loading).
func (s *Server) aofLoading() bool { return s.aof.loading.Load() }

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
