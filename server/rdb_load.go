package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/store"
)

// rdbInserter puts the keys LoadRDB reads into the keyspace on goroutines
// of their own, so that reading and decoding the file overlaps with
// building the tables. Each lane owns a fixed part of the shards, so lanes
// never touch the same table; the reader hands keys to their lane in
// batches.
type rdbInserter struct {
	s      *Server
	now    int64
	merge  bool
	lfu    bool
	seq    int64 // keys handed over so far
	lanes  []*insertLane
	failed atomic.Bool
}

type insertLane struct {
	ins     *rdbInserter
	index   int
	batch   []laneItem
	batches chan []laneItem
	free    chan []laneItem
	done    chan struct{}
	// Read after done:
	err    error
	errSeq int64 // which key failed, to report the file's first error
	loaded int64
}

type laneItem struct {
	seq int64
	persistence.RDBItem
}

const (
	// rdbInsertLanes: two lanes and the reader keep two cores busy.
	rdbInsertLanes = 2
	// rdbInsertBatch is how many keys travel to a lane at once.
	rdbInsertBatch = 256
)

func (s *Server) startInserter(now int64, merge bool) *rdbInserter {
	ins := &rdbInserter{
		s: s, now: now, merge: merge,
		lfu: isLFUPolicy(s.cfg.String("maxmemory-policy")),
	}
	for i := range rdbInsertLanes {
		l := &insertLane{
			ins: ins, index: i,
			batches: make(chan []laneItem, 4),
			free:    make(chan []laneItem, 8),
			done:    make(chan struct{}),
		}
		ins.lanes = append(ins.lanes, l)
		go l.run()
	}
	return ins
}

// add queues a key; it fails once a lane has failed.
func (ins *rdbInserter) add(it persistence.RDBItem) error {
	if ins.failed.Load() {
		return errInserterFailed
	}
	ins.seq++
	l := ins.lanes[store.ShardOf(it.Key)%len(ins.lanes)]
	if l.batch == nil {
		select {
		case l.batch = <-l.free:
		default:
			l.batch = make([]laneItem, 0, rdbInsertBatch)
		}
	}
	l.batch = append(l.batch, laneItem{ins.seq, it})
	if len(l.batch) == rdbInsertBatch {
		l.flush()
	}
	return nil
}

// errInserterFailed stops the reader; finish reports the lane's own
// error in its place.
var errInserterFailed = errors.New("loading stopped")

func (l *insertLane) flush() {
	if len(l.batch) > 0 {
		l.batches <- l.batch
		l.batch = nil
	}
}

// reserve queues the sizing of a database's tables for a RESIZEDB, in
// order with the keys: each lane sizes its own shards.
func (ins *rdbInserter) reserve(db, size int) {
	for _, l := range ins.lanes {
		l.flush()
		l.batches <- []laneItem{{RDBItem: persistence.RDBItem{DB: db, Obj: reserveRequest(size)}}}
	}
}

// reserveRequest rides in a batch to ask a lane for a Reserve.
type reserveRequest int

// finish hands over the last keys, waits for the lanes and returns how
// many keys were loaded and the error of the first key that failed.
func (ins *rdbInserter) finish() (int64, error) {
	var loaded int64
	var err error
	var errSeq int64
	for _, l := range ins.lanes {
		l.flush()
		close(l.batches)
	}
	for _, l := range ins.lanes {
		<-l.done
		loaded += l.loaded
		if l.err != nil && (err == nil || l.errSeq < errSeq) {
			err, errSeq = l.err, l.errSeq
		}
	}
	return loaded, err
}

func (l *insertLane) run() {
	defer close(l.done)
	for batch := range l.batches {
		for i := range batch {
			if l.err == nil {
				l.err = l.insert(&batch[i].RDBItem)
				if l.err != nil {
					l.errSeq = batch[i].seq
					l.ins.failed.Store(true)
				}
			}
			batch[i] = laneItem{} // the keyspace owns the strings now
		}
		select {
		case l.free <- batch[:0]:
		default:
		}
	}
}

func (l *insertLane) insert(it *persistence.RDBItem) error {
	ins := l.ins
	db := ins.s.store.DB(it.DB)
	if size, ok := it.Obj.(reserveRequest); ok {
		for i := l.index; i < store.NumShards; i += len(ins.lanes) {
			db.ReserveShard(i, int(size))
		}
		return nil
	}
	e, added := db.Load(it.Key, it.Str, it.Obj, it.Expire, ins.now, ins.merge)
	if !added {
		return fmt.Errorf("Duplicate key '%s' found in RDB file", it.Key)
	}
	// The access time the file recorded, as Redis's objectSetLRUOrLFU:
	// the one that fits the policy.
	if bits, ok := restoredAccessBits(ins.lfu, it.Idle, int64(it.Freq), ins.now); ok {
		e.SetAccessClock(bits)
	}
	l.loaded++
	return nil
}

// pauseGC turns the garbage collector off while an RDB file loads and
// returns the function that turns it back on. Loading makes almost no
// garbage (the strings and objects read are the ones kept), so the
// collector could only mark a heap that keeps growing, again and again:
// a quarter of the work of loading 1,000,000 keys. When it is back on,
// its first cycle starts at once, on the loaded heap, while the server
// serves. GOGC=off stays off; GOMEMLIMIT still applies meanwhile.
func pauseGC() func() {
	gcPauseMu.Lock()
	defer gcPauseMu.Unlock()
	if gcPaused == 0 {
		gcPercentBefore = debug.SetGCPercent(-1)
	}
	gcPaused++
	return func() {
		gcPauseMu.Lock()
		defer gcPauseMu.Unlock()
		gcPaused--
		if gcPaused == 0 {
			debug.SetGCPercent(gcPercentBefore)
		}
	}
}

var (
	gcPauseMu       sync.Mutex
	gcPaused        int
	gcPercentBefore int
)
