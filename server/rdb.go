package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/store"
)

// RDB snapshots: SAVE, BGSAVE, save points, loading at startup, and the
// point-in-time snapshots the AOF rewrite shares.

// bgsaveRetryDelay is Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed
// background save, save points wait this long before trying again.
const bgsaveRetryDelay = 5 * time.Second

type persistState struct {
	mu sync.Mutex
	// child is the background job writing a snapshot ("rdb" or "aof"),
	// "" when none: like Redis's single child process, one at a time.
	child           string
	bgsaveScheduled bool
	bgsaveStart     time.Time
	lastBgsaveTry   time.Time
	lastBgsaveSec   int64
	lastBgsaveOK    bool
	lastSave        int64 // unix seconds of the last successful save
	dirtyAtSave     int64 // store.Dirty() at the instant of that save
	saves           int64
	loadedKeys      int64
	expiredOnLoad   int64
	// bgsaveAbort tells a running BGSAVE to stop (SHUTDOWN, Close).
	bgsaveAbort chan struct{}
	bgsaveDone  chan struct{}
	tempSeq     atomic.Int64

	loading atomic.Bool
}

func (s *Server) initPersistence() {
	p := &s.persist
	p.lastBgsaveSec = -1
	p.lastBgsaveOK = true
	p.lastSave = time.Now().Unix()
}

// rdbPath is dir/dbfilename.
func (s *Server) rdbPath() string {
	return filepath.Join(s.cfg.String("dir"), s.cfg.String("dbfilename"))
}

// claimChild reserves the one background snapshot job for kind.
func (s *Server) claimChild(kind string) bool {
	s.persist.mu.Lock()
	defer s.persist.mu.Unlock()
	if s.persist.child != "" {
		return false
	}
	s.persist.child = kind
	return true
}

func (s *Server) releaseChild() {
	s.persist.mu.Lock()
	s.persist.child = ""
	s.persist.mu.Unlock()
}

func (s *Server) childKind() string {
	s.persist.mu.Lock()
	defer s.persist.mu.Unlock()
	return s.persist.child
}

// snapshot is the dataset at one instant, ready to be written as an RDB.
type snapshot struct {
	srv       *Server
	sn        *store.Snapshot // nil when the caller holds the keyspace (held)
	held      bool
	enc       *persistence.EntryEncoder
	functions []string
	ctime     int64
	usedMem   int64
	dirty     int64
}

// beginSnapshot freezes the dataset while the server keeps serving. It
// takes the whole keyspace for a moment and runs atStart under it (the
// AOF rewrite switches to a new incremental file there), so a write is
// either before the snapshot and in it, or after it and in the new file.
// Call with no lock held; Close the snapshot when done.
func (s *Server) beginSnapshot(atStart func()) *snapshot {
	var l store.Locks
	l.All(s.store)
	defer l.Release()
	return s.beginSnapshotHeld(atStart)
}

// beginSnapshotHeld is beginSnapshot for a caller holding the whole
// keyspace (BGSAVE inside MULTI).
func (s *Server) beginSnapshotHeld(atStart func()) *snapshot {
	if atStart != nil {
		atStart()
	}
	snap := s.newSnapshot(false)
	snap.sn = s.store.BeginSnapshot(func(buf []byte, _ *store.DB, e *store.Entry) []byte {
		return snap.enc.AppendEntry(buf, e)
	})
	return snap
}

// heldSnapshot is a snapshot for a caller that holds the whole keyspace
// until it has written it (SAVE, DEBUG RELOAD, SHUTDOWN): nothing can
// change meanwhile, so entries are encoded straight from the store.
func (s *Server) heldSnapshot() *snapshot { return s.newSnapshot(true) }

func (s *Server) newSnapshot(held bool) *snapshot {
	policy := s.cfg.String("maxmemory-policy")
	snap := &snapshot{
		srv:  s,
		held: held,
		enc: &persistence.EntryEncoder{
			Compress: s.cfg.Bool("rdbcompression"),
			SaveLRU:  strings.Contains(policy, "-lru"),
			SaveLFU:  strings.Contains(policy, "-lfu"),
			NowMs:    s.clock.NowMs(),
			// Redis saves the LFU counter decayed to now.
			LFUDecayTime: s.cfg.Int("lfu-decay-time"),
		},
		ctime:   s.clock.Now().Unix(),
		usedMem: s.usedMemory(),
		dirty:   s.store.Dirty(),
	}
	for _, lib := range s.functions().Libraries(nil) {
		snap.functions = append(snap.functions, string(lib.Code))
	}
	return snap
}

// Close releases what the snapshot still holds in the store.
func (snap *snapshot) Close() {
	if snap.sn != nil {
		snap.sn.Close(false)
	}
}

// errSaveAborted stops a background save when the server shuts down.
var errSaveAborted = errors.New("save aborted")

// WriteRDB writes the snapshot as a whole RDB file. aofBase marks it as
// the base of an append-only file (the aof-base aux field). abort, when
// not nil, is checked between shards.
func (snap *snapshot) WriteRDB(w io.Writer, aofBase bool, abort <-chan struct{}) error {
	s := snap.srv
	rw := persistence.NewRDBWriter(w, s.cfg.Bool("rdbchecksum"))
	base := "0"
	if aofBase {
		base = "1"
	}
	err := rw.WriteHeader([][2]string{
		{"redis-ver", RedisVersion},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(snap.ctime, 10)},
		{"used-mem", strconv.FormatInt(snap.usedMem, 10)},
		{"aof-base", base},
	})
	for _, code := range snap.functions {
		if err == nil {
			err = rw.WriteFunction(code)
		}
	}
	for db := 0; db < s.store.NumDBs() && err == nil; db++ {
		err = snap.writeDB(rw, db, abort)
	}
	if err != nil {
		return err
	}
	return rw.Finish()
}

func (snap *snapshot) writeDB(rw *persistence.RDBWriter, db int, abort <-chan struct{}) error {
	if snap.held {
		d := snap.srv.store.DB(db)
		if d.Size() == 0 {
			return nil
		}
		if err := rw.WriteDBStart(db, d.Size(), d.ExpiresCount()); err != nil {
			return err
		}
		var buf []byte
		var err error
		d.Each(func(e *store.Entry) bool {
			buf = snap.enc.AppendEntry(buf, e)
			if len(buf) >= 1<<16 {
				err = rw.WriteRaw(buf)
				buf = buf[:0]
			}
			return err == nil
		})
		if err == nil && len(buf) > 0 {
			err = rw.WriteRaw(buf)
		}
		return err
	}
	if snap.sn.Sizes[db] == 0 {
		return nil
	}
	if err := rw.WriteDBStart(db, snap.sn.Sizes[db], snap.sn.Expires[db]); err != nil {
		return err
	}
	for i := 0; i < snap.sn.NumShards(); i++ {
		select {
		case <-abort:
			return errSaveAborted
		default:
		}
		if err := rw.WriteRaw(snap.sn.Shard(db, i, false)); err != nil {
			return err
		}
	}
	return nil
}

// writeRDBFile writes the snapshot to path through a temporary file in
// the same directory, synced and renamed into place, so a crash leaves
// either the old file or the new one.
func (s *Server) writeRDBFile(snap *snapshot, path string, abort <-chan struct{}) (err error) {
	tmp := filepath.Join(filepath.Dir(path),
		fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), s.persist.tempSeq.Add(1)))
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %v",
			filepath.Base(tmp), filepath.Dir(tmp), unwrapPathError(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = snap.WriteRDB(bw, false, abort); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// syncDir makes a rename durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// saveHeld is SAVE's work: the caller holds the whole keyspace.
func (s *Server) saveHeld() error {
	snap := s.heldSnapshot()
	start := time.Now()
	if err := s.writeRDBFile(snap, s.rdbPath(), nil); err != nil {
		s.logf("Failed saving the DB: %v", err)
		return err
	}
	s.persist.mu.Lock()
	s.persist.lastSave = time.Now().Unix()
	s.persist.dirtyAtSave = snap.dirty
	s.persist.saves++
	s.persist.lastBgsaveOK = true
	s.persist.mu.Unlock()
	s.logf("DB saved on disk (%.3f seconds)", time.Since(start).Seconds())
	return nil
}

// saveNow is a foreground save. held says the caller holds the whole
// keyspace already.
func (s *Server) saveNow(held bool) error {
	if !held {
		var l store.Locks
		l.All(s.store)
		defer l.Release()
	}
	return s.saveHeld()
}

var errBgsaveInProgress = errors.New("ERR Background save already in progress")

// startBgsave starts a background save. It fails when one is running, or
// (errChildBusy) when an AOF rewrite is.
func (s *Server) startBgsave(held bool) error {
	if !s.claimChild("rdb") {
		if s.childKind() == "rdb" {
			return errBgsaveInProgress
		}
		return errChildBusy
	}
	p := &s.persist
	p.mu.Lock()
	p.bgsaveScheduled = false
	p.bgsaveStart = time.Now()
	p.lastBgsaveTry = p.bgsaveStart
	abort, done := make(chan struct{}), make(chan struct{})
	p.bgsaveAbort, p.bgsaveDone = abort, done
	p.mu.Unlock()
	var snap *snapshot
	if held {
		snap = s.beginSnapshotHeld(nil)
	} else {
		snap = s.beginSnapshot(nil)
	}
	s.logf("Background saving started")
	go func() {
		defer close(done)
		defer s.childProcs()()
		err := s.writeRDBFile(snap, s.rdbPath(), abort)
		snap.Close()
		s.bgsaveFinished(snap, err)
	}()
	return nil
}

var errChildBusy = errors.New("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")

func (s *Server) bgsaveFinished(snap *snapshot, err error) {
	p := &s.persist
	p.mu.Lock()
	p.lastBgsaveSec = int64(time.Since(p.bgsaveStart).Round(time.Second) / time.Second)
	p.lastBgsaveOK = err == nil
	if err == nil {
		p.lastSave = time.Now().Unix()
		p.dirtyAtSave = snap.dirty
		p.saves++
	}
	p.child = ""
	p.bgsaveAbort = nil
	p.mu.Unlock()
	if err != nil {
		s.logf("Background saving error: %v", err)
	} else {
		s.logf("Background saving terminated with success")
	}
}

// afterFlushAll is Redis's flushAllDataAndResetRDB: a running BGSAVE is
// stopped and, when save points are set, the now empty dataset is saved,
// so a restart does not bring the flushed data back. The caller holds the
// keyspace.
func (s *Server) afterFlushAll() {
	s.stopBgsave(false)
	if len(s.savePoints()) > 0 {
		_ = s.saveHeld()
	}
}

// stopBgsave aborts a running background save (Redis kills its child on
// SHUTDOWN and FLUSHALL). wait says whether to wait for it: a caller
// holding the keyspace must not, as the save needs the keyspace to see
// that it was stopped.
func (s *Server) stopBgsave(wait bool) {
	p := &s.persist
	p.mu.Lock()
	abort, done := p.bgsaveAbort, p.bgsaveDone
	if abort != nil {
		close(abort)
		p.bgsaveAbort = nil
	}
	p.mu.Unlock()
	if done != nil && wait {
		<-done
	}
}

// savePoints parses the `save` parameter: pairs of seconds and changes.
func (s *Server) savePoints() [][2]int64 {
	f := strings.Fields(s.cfg.String("save"))
	var pts [][2]int64
	for i := 0; i+1 < len(f); i += 2 {
		sec, err1 := strconv.ParseInt(f[i], 10, 64)
		ch, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 == nil && err2 == nil {
			pts = append(pts, [2]int64{sec, ch})
		}
	}
	return pts
}

// persistenceCron starts the background save a save point or BGSAVE
// SCHEDULE asks for (Redis's serverCron).
func (s *Server) persistenceCron() {
	p := &s.persist
	p.mu.Lock()
	busy, scheduled := p.child != "", p.bgsaveScheduled
	dirty := s.store.Dirty() - p.dirtyAtSave
	elapsed := time.Now().Unix() - p.lastSave
	retryOK := p.lastBgsaveOK || time.Since(p.lastBgsaveTry) > bgsaveRetryDelay
	p.mu.Unlock()
	if busy {
		return
	}
	if scheduled {
		_ = s.startBgsave(false)
		return
	}
	for _, pt := range s.savePoints() {
		if dirty >= pt[1] && elapsed >= pt[0] && retryOK {
			s.logf("%d changes in %d seconds. Saving...", pt[1], pt[0])
			_ = s.startBgsave(false)
			return
		}
	}
}

// loadRDBFile loads path at startup; a missing file is an empty dataset.
func (s *Server) loadRDBFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("Fatal error loading the DB: %v. Exiting.", unwrapPathError(err))
	}
	defer f.Close()
	start := time.Now()
	if err := s.loadRDBFrom(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("Fatal error loading the DB (%s): %v. Exiting.", path, err)
	}
	s.logf("Done loading RDB, keys loaded: %d, keys expired: %d.", s.persist.loadedKeys, s.persist.expiredOnLoad)
	s.logf("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	return nil
}

// loadRDBFrom loads an RDB stream into the keyspace. The caller has the
// keyspace to itself (startup, or holding it whole). Keys already expired
// are skipped, as a Redis master does.
func (s *Server) loadRDBFrom(r io.Reader) error {
	return s.loadRDB(r, false)
}

// loadRDB is loadRDBFrom; aofPreamble keeps expired keys, as Redis does
// for the RDB part of an append-only file (the AOF that follows may rely
// on them).
func (s *Server) loadRDB(r io.Reader, aofPreamble bool) error {
	return s.loadRDBOpts(r, aofPreamble, false)
}

// loadRDBMerge loads over existing data; with merge a key of the file
// replaces one already present instead of being an error.
func (s *Server) loadRDBMerge(r io.Reader, merge bool) error {
	return s.loadRDBOpts(r, false, merge)
}

func (s *Server) loadRDBOpts(r io.Reader, aofPreamble, merge bool) error {
	s.persist.loading.Store(true)
	defer s.persist.loading.Store(false)
	defer s.childProcs()()
	defer pauseGC()()
	now := s.clock.NowMs()
	var expired int64
	host := &scriptHost{c: s.internalClient()}
	limits := s.loadLimits()
	ins := s.startInserter(now, merge)
	err := persistence.LoadRDB(r, persistence.RDBHandler{
		Limits: &limits,
		Function: func(code string) error {
			_, err := s.functions().Load([]byte(code), merge, host)
			return err
		},
		ResizeDB: func(db, size, _ int) {
			if db >= 0 && db < s.store.NumDBs() {
				ins.reserve(db, size)
			}
		},
		Entry: func(it persistence.RDBItem) error {
			if it.DB < 0 || it.DB >= s.store.NumDBs() {
				return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases", s.store.NumDBs())
			}
			if it.Expire != 0 && it.Expire < now && !aofPreamble {
				expired++
				return nil
			}
			return ins.add(it)
		},
	})
	loaded, insErr := ins.finish()
	if insErr != nil {
		// The inserter failed on a key read before whatever stopped the
		// reader: that is the file's first error.
		err = insErr
	}
	s.persist.mu.Lock()
	s.persist.loadedKeys, s.persist.expiredOnLoad = loaded, expired
	// What was just loaded is what is on disk.
	s.persist.dirtyAtSave = s.store.Dirty()
	s.persist.mu.Unlock()
	return err
}

// internalClient is a client with no connection, for work the server does
// on its own behalf (loading functions and data).
func (s *Server) internalClient() *Client {
	c := &Client{srv: s, id: -1, w: resp.NewWriter(), authed: true}
	c.db = s.store.DB(0)
	c.w.Limit = s.maxReplyBytes
	return c
}

// loadDataAtStartup loads the dataset before the server listens.
func (s *Server) loadDataAtStartup() error {
	if s.cfg.Bool("appendonly") {
		return s.loadAOFAtStartup() // with appendonly yes the AOF is the dataset (aof.go)
	}
	return s.loadRDBFile(s.rdbPath())
}

// --- commands -----------------------------------------------------------

func init() {
	register([]binding{
		{"save", cmdSave, lockNone},
		{"bgsave", cmdBgsave, lockNone},
		{"lastsave", cmdLastSave, lockNone},
	})
}

func cmdSave(c *Client, args [][]byte) {
	if c.srv.childKind() == "rdb" {
		c.w.Error(errBgsaveInProgress.Error())
		return
	}
	if err := c.srv.saveNow(c.locks.Exclusive()); err != nil {
		c.w.Error("ERR")
		return
	}
	c.w.OK()
}

func cmdBgsave(c *Client, args [][]byte) {
	schedule := false
	if len(args) > 1 {
		if len(args) > 2 || !eqFold(args[1], "schedule") {
			c.w.Error(errSyntax)
			return
		}
		schedule = true
	}
	err := c.srv.startBgsave(c.locks.Exclusive())
	switch {
	case err == nil:
		c.w.Status("Background saving started")
	case err == errChildBusy && schedule:
		c.srv.persist.mu.Lock()
		c.srv.persist.bgsaveScheduled = true
		c.srv.persist.mu.Unlock()
		c.w.Status("Background saving scheduled")
	default:
		c.w.Error(err.Error())
	}
}

func cmdLastSave(c *Client, args [][]byte) {
	c.srv.persist.mu.Lock()
	t := c.srv.persist.lastSave
	c.srv.persist.mu.Unlock()
	c.w.Int(t)
}

// infoRDB prints the RDB fields of INFO persistence.
func (s *Server) infoRDB(b *strings.Builder) {
	p := &s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	loading := 0
	if p.loading.Load() || s.aofLoading() {
		loading = 1
	}
	field(b, "loading", loading)
	field(b, "async_loading", 0)
	field(b, "current_cow_peak", 0)
	field(b, "current_cow_size", 0)
	field(b, "current_cow_size_age", 0)
	field(b, "current_fork_perc", "0.00")
	field(b, "current_save_keys_processed", 0)
	field(b, "current_save_keys_total", 0)
	field(b, "rdb_changes_since_last_save", s.store.Dirty()-p.dirtyAtSave)
	inProgress, current := 0, int64(-1)
	if p.child == "rdb" {
		inProgress, current = 1, int64(time.Since(p.bgsaveStart)/time.Second)
	}
	field(b, "rdb_bgsave_in_progress", inProgress)
	field(b, "rdb_last_save_time", p.lastSave)
	status := "ok"
	if !p.lastBgsaveOK {
		status = "err"
	}
	field(b, "rdb_last_bgsave_status", status)
	field(b, "rdb_last_bgsave_time_sec", p.lastBgsaveSec)
	field(b, "rdb_current_bgsave_time_sec", current)
	field(b, "rdb_saves", p.saves)
	field(b, "rdb_last_cow_size", 0)
	field(b, "rdb_last_load_keys_expired", p.expiredOnLoad)
	field(b, "rdb_last_load_keys_loaded", p.loadedKeys)
}

// prepareForShutdown is Redis's: stop a background save, then save when
// asked to (SAVE) or when save points are set (unless NOSAVE). A failed
// save keeps the server running unless FORCE.
func (s *Server) prepareForShutdown(save, nosave, force, held bool) error {
	s.stopBgsave(!held)
	if nosave || (!save && len(s.savePoints()) == 0) {
		return nil
	}
	s.logf("Saving the final RDB snapshot before exiting.")
	if err := s.saveNow(held); err != nil {
		if !force {
			s.logf("Error trying to save the DB, can't exit.")
			return err
		}
		s.logf("Error trying to save the DB; exiting anyway (FORCE).")
	}
	return nil
}

// ShutdownOnSignal prepares the shutdown a SIGTERM (or SIGINT) asks for,
// as shutdown-on-sigterm (shutdown-on-sigint) says: by default, save when
// save points are set. It reports whether the server may exit; when the
// save failed it keeps running, as Redis does. The caller then calls Close.
func (s *Server) ShutdownOnSignal(sigint bool) bool {
	name := "shutdown-on-sigterm"
	if sigint {
		name = "shutdown-on-sigint"
	}
	var save, nosave, force bool
	for _, f := range strings.Fields(s.cfg.String(name)) {
		switch f {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "force":
			force = true
		}
	}
	s.logf("User requested shutdown...")
	return s.prepareForShutdown(save, nosave, force, false) == nil
}

// reloadHeld is DEBUG RELOAD: save (unless nosave), empty the dataset
// (unless noflush), load the file back. The caller holds the keyspace.
func (s *Server) reloadHeld(nosave, noflush, merge bool) string {
	if !nosave {
		if err := s.saveHeld(); err != nil {
			return "ERR Error trying to save the DB"
		}
	}
	if !noflush {
		for i := 0; i < s.store.NumDBs(); i++ {
			s.store.DB(i).Flush()
		}
		s.functions().Flush()
	}
	f, err := os.Open(s.rdbPath())
	if err != nil {
		return "ERR Error trying to load the RDB dump, check server logs."
	}
	defer f.Close()
	if err := s.loadRDBMerge(bufio.NewReader(f), merge); err != nil {
		s.logf("Error loading the RDB dump: %v", err)
		return "ERR Error trying to load the RDB dump, check server logs."
	}
	s.logf("DB reloaded by DEBUG RELOAD")
	return ""
}

// childProcs gives the Go scheduler one more processor while a background
// snapshot is written, and returns the function that takes it back.
// Redis writes snapshots in a forked child that runs on another core; a
// saver goroutine sharing the server's processors instead would take them
// for whole scheduler slices (10 ms), and clients would wait that long
// for each reply.
func (s *Server) childProcs() func() {
	childProcsMu.Lock()
	if childProcsActive == 0 {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	childProcsActive++
	childProcsMu.Unlock()
	return func() {
		childProcsMu.Lock()
		childProcsActive--
		if childProcsActive == 0 {
			runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) - 1)
		}
		childProcsMu.Unlock()
	}
}

var (
	childProcsMu     sync.Mutex
	childProcsActive int
)

// loadAOFHeld is DEBUG LOADAOF: write out what is buffered for the AOF,
// empty the dataset and load the append-only files again. The caller
// holds the keyspace.
func (s *Server) loadAOFHeld() string {
	a := &s.aof
	a.wmu.Lock()
	err := s.aofWriteLocked(true)
	s.unlockWrite()
	if err != nil {
		return "ERR Error writing the AOF: " + err.Error()
	}
	for i := 0; i < s.store.NumDBs(); i++ {
		s.store.DB(i).Flush()
	}
	s.functions().Flush()
	dir := s.aofDir()
	m, err := persistence.ReadManifestFile(dir, s.aofFilename())
	if err == nil && m != nil {
		err = s.loadAOFFilesAs(dir, m, true)
	}
	if err != nil {
		s.logf("Error loading the AOF: %v", err)
		return "ERR Error loading the append only file, check server logs."
	}
	s.persist.mu.Lock()
	s.persist.dirtyAtSave = s.store.Dirty()
	s.persist.mu.Unlock()
	s.logf("Append Only File loaded by DEBUG LOADAOF")
	return ""
}
