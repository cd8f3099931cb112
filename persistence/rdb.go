// Package persistence reads and writes Redis's on-disk formats: the RDB
// file (and the DUMP payload, which is one RDB value) and the AOF.
//
// The RDB code follows Redis 7.0's rdb.c: what real redis-server writes,
// LoadRDB reads (older encodings included); what RDBWriter and
// EntryEncoder write, redis-check-rdb accepts and redis-server loads. The
// compact encodings (listpack, ziplist, intset, zipmap) are Redis's byte
// layouts, so they are built and validated here, apart from the types
// package's own in-memory encodings.
package persistence

import (
	"fmt"
)

// RDBVersion is the RDB format version Redis 7.0 writes.
const RDBVersion = 10

// rdbMaxLoadVersion is the newest format LoadRDB reads: version 11 (Redis
// 7.2) only adds the listpack set and the third stream layout, which are
// read as well.
const rdbMaxLoadVersion = 11

// Value types (rdb.h).
const (
	rdbTypeString           = 0
	rdbTypeList             = 1
	rdbTypeSet              = 2
	rdbTypeZSet             = 3
	rdbTypeHash             = 4
	rdbTypeZSet2            = 5
	rdbTypeModulePreGA      = 6
	rdbTypeModule2          = 7
	rdbTypeHashZipmap       = 9
	rdbTypeListZiplist      = 10
	rdbTypeSetIntset        = 11
	rdbTypeZSetZiplist      = 12
	rdbTypeHashZiplist      = 13
	rdbTypeListQuicklist    = 14
	rdbTypeStreamListpacks  = 15
	rdbTypeHashListpack     = 16
	rdbTypeZSetListpack     = 17
	rdbTypeListQuicklist2   = 18
	rdbTypeStreamListpacks2 = 19
	rdbTypeSetListpack      = 20
	rdbTypeStreamListpacks3 = 21
)

// Opcodes (rdb.h).
const (
	rdbOpFunctionPreGA = 246
	rdbOpFunction2     = 245
	rdbOpModuleAux     = 247
	rdbOpIdle          = 248
	rdbOpFreq          = 249
	rdbOpAux           = 250
	rdbOpResizeDB      = 251
	rdbOpExpireTimeMs  = 252
	rdbOpExpireTime    = 253
	rdbOpSelectDB      = 254
	rdbOpEOF           = 255
)

// Length and string encodings: the top two bits of a length's first byte.
const (
	rdb6BitLen  = 0
	rdb14BitLen = 1
	rdb32BitLen = 0x80
	rdb64BitLen = 0x81
	rdbEncVal   = 3

	rdbEncInt8  = 0
	rdbEncInt16 = 1
	rdbEncInt32 = 2
	rdbEncLZF   = 3
)

// Quicklist node containers.
const (
	quicklistPlain  = 1
	quicklistPacked = 2
)

// RDBItem is one key read from an RDB file.
type RDBItem struct {
	DB     int
	Key    string
	Str    string // the value when a string
	Obj    any    // *types.Hash, *types.List, *types.Set, *types.ZSet or *types.Stream otherwise
	Expire int64  // unix ms, 0 = none
	Idle   int64  // seconds from RDB_OPCODE_IDLE, -1 when absent
	Freq   int    // from RDB_OPCODE_FREQ, -1 when absent
}

// RDBHandler receives what LoadRDB reads, in file order.
type RDBHandler struct {
	Aux      func(key, val string) error // may be nil
	Function func(code string) error     // may be nil
	ResizeDB func(db, size, expires int) // may be nil
	Entry    func(it RDBItem) error      // required
	// Limits are the encoding thresholds of the loading server; nil means
	// Redis's defaults.
	Limits *Limits
}

// Limits are the thresholds of the compact encodings. Redis holds a loaded
// value to the loading server's configuration: a compact value with too
// many elements is converted, a hashtable small enough becomes compact.
type Limits struct {
	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value
	SetMaxIntsetEntries    int // set-max-intset-entries
	ZSetMaxListpackEntries int // zset-max-listpack-entries
	ZSetMaxListpackValue   int // zset-max-listpack-value
}

// DefaultLimits are Redis 7.0's defaults.
func DefaultLimits() Limits {
	return Limits{
		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ZSetMaxListpackEntries: 128,
		ZSetMaxListpackValue:   64,
	}
}

// CorruptError reports input that is not a valid RDB file or DUMP payload.
type CorruptError struct {
	Offset int64 // bytes from the start of the input
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("rdb: corrupt data at offset %d: %s", e.Offset, e.Reason)
}
