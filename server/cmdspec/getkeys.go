package cmdspec

import "math"

// getKeysFunc is a Redis getkeys_proc: it finds the keys by parsing the
// arguments, for commands whose key specs cannot always say (SORT ... STORE,
// MIGRATE ... KEYS) or whose key flags vary (SET ... GET). Redis uses it
// when the key specs fail or have variable flags, and so must we: the two
// can disagree (ZUNIONSTORE d 1x a: the spec rejects "1x", the function
// reads it with atoi and lists the destination last).
type getKeysFunc func(dst []int, args [][]byte) []int

// getKeysProcs are the commands with a getkeys_proc in Redis 7.0.15. This
// is behaviour, not data: COMMAND INFO does not show it.
var getKeysProcs = map[string]getKeysFunc{
	"sintercard":        numKeys(0, 1, 2),
	"zunionstore":       numKeys(1, 2, 3),
	"zinterstore":       numKeys(1, 2, 3),
	"zdiffstore":        numKeys(1, 2, 3),
	"zunion":            numKeys(0, 1, 2),
	"zinter":            numKeys(0, 1, 2),
	"zintercard":        numKeys(0, 1, 2),
	"zdiff":             numKeys(0, 1, 2),
	"eval":              numKeys(0, 2, 3),
	"evalsha":           numKeys(0, 2, 3),
	"eval_ro":           numKeys(0, 2, 3),
	"evalsha_ro":        numKeys(0, 2, 3),
	"fcall":             numKeys(0, 2, 3),
	"fcall_ro":          numKeys(0, 2, 3),
	"lmpop":             numKeys(0, 1, 2),
	"blmpop":            numKeys(0, 2, 3),
	"zmpop":             numKeys(0, 1, 2),
	"bzmpop":            numKeys(0, 2, 3),
	"sort":              sortKeys,
	"sort_ro":           firstArgKey,
	"migrate":           migrateKeys,
	"georadius":         georadiusKeys,
	"georadiusbymember": georadiusKeys,
	"xread":             xreadKeys,
	"xreadgroup":        xreadKeys,
	"set":               firstArgKey,
	"bitfield":          firstArgKey,
}

// numKeys is genericGetKeys: a count at countIdx, the keys from firstIdx,
// then the destination at storeIdx (when not 0). A count that atoi reads
// as < 1 or that exceeds the arguments gives no keys.
func numKeys(storeIdx, countIdx, firstIdx int) getKeysFunc {
	return func(dst []int, args [][]byte) []int {
		num := atoi(args[countIdx])
		if num < 1 || num > len(args)-firstIdx {
			return dst
		}
		for i := 0; i < num; i++ {
			dst = append(dst, firstIdx+i)
		}
		if storeIdx != 0 {
			dst = append(dst, storeIdx)
		}
		return dst
	}
}

// firstArgKey serves SET, BITFIELD (getkeys functions that only compute
// the key's flags) and SORT_RO (whose BY/GET keys are never reported).
func firstArgKey(dst []int, _ [][]byte) []int { return append(dst, 1) }

// sortKeys is sortGetKeys: the sorted key, then the last STORE's key.
// LIMIT, GET and BY skip their arguments; other words are taken as
// argument-less options.
func sortKeys(dst []int, args [][]byte) []int {
	dst = append(dst, 1)
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case eq(args[i], "limit"):
			i += 2
		case eq(args[i], "get"), eq(args[i], "by"):
			i++
		case eq(args[i], "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store != 0 {
		dst = append(dst, store)
	}
	return dst
}

// migrateKeys is migrateGetKeys: the key argument, or with KEYS (which
// needs an empty key argument, else no keys) everything after KEYS. The
// options before KEYS are skipped with their arguments.
func migrateKeys(dst []int, args [][]byte) []int {
	first, num := 3, 1
	for i := 6; len(args) > 6 && i < len(args); i++ {
		if eq(args[i], "keys") {
			if len(args[3]) > 0 {
				return dst
			}
			first, num = i+1, len(args)-i-1
			break
		}
		switch {
		case eq(args[i], "auth"):
			i++
		case eq(args[i], "auth2"):
			i += 2
		}
	}
	for i := 0; i < num; i++ {
		dst = append(dst, first+i)
	}
	return dst
}

// georadiusKeys is georadiusGetKeys: the key, then the last STORE or
// STOREDIST key.
func georadiusKeys(dst []int, args [][]byte) []int {
	dst = append(dst, 1)
	stored := -1
	for i := 5; i < len(args); i++ {
		if (eq(args[i], "store") || eq(args[i], "storedist")) && i+1 < len(args) {
			stored = i + 1
			i++
		}
	}
	if stored != -1 {
		dst = append(dst, stored)
	}
	return dst
}

// xreadKeys is xreadGetKeys: the first half of what follows STREAMS, once
// the options before it are skipped; nothing on a syntax error.
func xreadKeys(dst []int, args [][]byte) []int {
	streams := -1
	for i := 1; i < len(args) && streams < 0; i++ {
		switch {
		case eq(args[i], "block"), eq(args[i], "count"):
			i++
		case eq(args[i], "group"):
			i += 2
		case eq(args[i], "noack"):
		case eq(args[i], "streams"):
			streams = i
		default:
			return dst
		}
	}
	num := len(args) - streams - 1
	if streams < 0 || num == 0 || num%2 != 0 {
		return dst
	}
	for i := streams + 1; i < len(args)-num/2; i++ {
		dst = append(dst, i)
	}
	return dst
}

// eq compares like C's strcasecmp: ASCII letters only, so that "ſ" or
// the Kelvin sign never match as bytes.EqualFold would let them.
func eq(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerASCII(b[i]) != lowerASCII(word[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// atoi is C's atoi as glibc implements it (strtol cast to int): leading
// white space, a sign, digits up to the first non-digit, saturating at the
// long range before the truncation to 32 bits.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	const limit = uint64(math.MaxInt64) + 1 // strtol saturates here
	var n uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > limit/10 {
			n = limit
			continue
		}
		n = min(n*10+uint64(b[i]-'0'), limit)
	}
	var v int64
	switch {
	case n == limit && !neg:
		v = math.MaxInt64
	case n == limit:
		v = math.MinInt64
	case neg:
		v = -int64(n)
	default:
		v = int64(n)
	}
	return int(int32(v))
}
