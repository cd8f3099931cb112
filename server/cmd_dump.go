package server

import (
	"errors"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
)

// DUMP and RESTORE (Redis's cluster.c): a key's value serialised as an RDB
// value with the RDB version and a CRC64, and back.

const (
	errBusyKey          = "BUSYKEY Target key name already exists."
	errDumpPayload      = "ERR DUMP payload version or checksum are wrong"
	errBadDataFormat    = "ERR Bad data format"
	errInvalidTTL       = "ERR Invalid TTL value, must be >= 0"
	errInvalidIdleTime  = "ERR Invalid IDLETIME value, must be >= 0"
	errInvalidFrequency = "ERR Invalid FREQ value, must be >= 0 and <= 255"
)

func init() {
	register([]binding{
		{"dump", cmdDump, lockKeys},
		{"restore", cmdRestore, lockKeys},
	})
	declareEvents(config.NotifyGeneric, []keyEvent{{"restore", "restore"}})
}

func cmdDump(c *Client, args [][]byte) {
	e := c.db.LookupRead(args[1], c.now)
	if e == nil {
		c.w.Null()
		return
	}
	enc := persistence.EntryEncoder{Compress: c.srv.cfg.Bool("rdbcompression")}
	c.w.Bulk(persistence.DumpPayload(&enc, e))
}

// restoreOptions are RESTORE's options after the payload.
type restoreOptions struct {
	replace, absTTL bool
	idle, freq      int64 // -1 when not given
}

// parseRestoreOptions parses the options as Redis does: IDLETIME and FREQ
// exclude each other (the second one given is a syntax error).
func parseRestoreOptions(args [][]byte) (o restoreOptions, errMsg string) {
	o.idle, o.freq = -1, -1
	for i := 0; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case eqFold(args[i], "replace"):
			o.replace = true
		case eqFold(args[i], "absttl"):
			o.absTTL = true
		case eqFold(args[i], "idletime") && more >= 1 && o.freq == -1:
			v, ok := parseInt(args[i+1])
			if !ok {
				return o, errNotInt
			}
			if v < 0 {
				return o, errInvalidIdleTime
			}
			o.idle = v
			i++
		case eqFold(args[i], "freq") && more >= 1 && o.idle == -1:
			v, ok := parseInt(args[i+1])
			if !ok {
				return o, errNotInt
			}
			if v < 0 || v > 255 {
				return o, errInvalidFrequency
			}
			o.freq = v
			i++
		default:
			return o, errSyntax
		}
	}
	return o, ""
}

func cmdRestore(c *Client, args [][]byte) {
	key := args[1]
	o, errMsg := parseRestoreOptions(args[4:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	if !o.replace && c.db.Lookup(key, c.now) != nil {
		c.w.Error(errBusyKey)
		return
	}
	ttl, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	if ttl < 0 {
		c.w.Error(errInvalidTTL)
		return
	}
	str, obj, err := persistence.ParseDumpPayloadLimits(args[3], c.srv.loadLimits())
	if err != nil {
		if errors.Is(err, persistence.ErrDumpPayload) {
			c.w.Error(errDumpPayload)
		} else {
			c.w.Error(errBadDataFormat)
		}
		return
	}
	deleted := o.replace && c.db.Delete(key, c.now)
	if ttl != 0 && !o.absTTL {
		ttl += c.now
	}
	if ttl != 0 && ttl <= c.now {
		// Already expired: the key is not created, and one it replaced is
		// simply deleted.
		if deleted {
			c.notify(config.NotifyGeneric, "del", key)
		} else {
			c.noDeclaredEvent()
		}
		c.w.OK()
		return
	}
	var e *store.Entry
	if obj == nil {
		e = c.db.SetString(key, str, ttl, false)
	} else {
		e = c.db.SetObject(key, obj)
		if ttl != 0 {
			c.db.SetExpire(e, ttl)
		}
	}
	c.setRestoredAccess(e, o.idle, o.freq)
	c.w.OK()
}

// loadLimits are the compact encodings' thresholds a restored or loaded
// value is held to: the current configuration, as Redis converts values
// it loads.
func (s *Server) loadLimits() persistence.Limits {
	cfg := s.cfg
	return persistence.Limits{
		HashMaxListpackEntries: int(cfg.Int("hash-max-listpack-entries")),
		HashMaxListpackValue:   int(cfg.Int("hash-max-listpack-value")),
		SetMaxIntsetEntries:    int(cfg.Int("set-max-intset-entries")),
		ZSetMaxListpackEntries: int(cfg.Int("zset-max-listpack-entries")),
		ZSetMaxListpackValue:   int(cfg.Int("zset-max-listpack-value")),
	}
}

// setRestoredAccess applies IDLETIME or FREQ as Redis's objectSetLRUOrLFU:
// FREQ under an LFU policy, IDLETIME under any other; the option that does
// not fit the policy is ignored.
func (c *Client) setRestoredAccess(e *store.Entry, idle, freq int64) {
	bits, ok := restoredAccessBits(isLFUPolicy(c.srv.cfg.String("maxmemory-policy")), idle, freq, c.now)
	if !ok {
		return
	}
	e.SetAccessClock(bits)
}

// restoredAccessBits computes the 24 access bits for an idle time in
// seconds (LRU: the clock that many seconds ago, wrapping as Redis's LRU
// clock does) or a frequency (LFU: the current minute and the counter).
func restoredAccessBits(lfu bool, idle, freq, nowMs int64) (uint32, bool) {
	if lfu {
		if freq < 0 {
			return 0, false
		}
		minutes := uint32(nowMs/60000) & 0xffff
		return minutes<<8 | uint32(freq), true
	}
	if idle < 0 {
		return 0, false
	}
	abs := nowMs/1000&lruClockMax - idle
	if abs < 0 {
		abs += lruClockMax
	}
	return uint32(abs) & lruClockMax, true
}
