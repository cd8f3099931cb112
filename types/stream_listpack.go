package types

import "strconv"

// Sizes of elements in Redis's listpack encoding, so that stream nodes are
// cut where Redis cuts its listpacks (stream-node-max-bytes counts listpack
// bytes, not ours).

// lpIntSize is the size of an integer element: encoding, data and the
// back-length byte.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= -2147483648 && v <= 2147483647:
		return 6
	}
	return 10
}

// lpStringSize is the size of a string element. Strings that are canonical
// integers are stored as integers, as listpack does.
func lpStringSize(b []byte) int {
	if looksCanonicalInt(b) {
		if v, err := strconv.ParseInt(viewString(b), 10, 64); err == nil {
			return lpIntSize(v)
		}
	}
	var enc int
	switch l := len(b); {
	case l < 64:
		enc = 1 + l
	case l < 4096:
		enc = 2 + l
	default:
		enc = 5 + l
	}
	return enc + lpBacklenSize(enc)
}

// lpBacklenSize is the size of the reverse-encoded element length.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// looksCanonicalInt reports digits with an optional minus and no leading
// zero (what string2ll accepts, overflow aside), cheaply: most values are
// not numbers, and a failed ParseInt allocates its error.
func looksCanonicalInt(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	digits := b
	if b[0] == '-' {
		digits = b[1:]
	}
	if len(digits) == 0 || digits[0] == '0' && (len(digits) > 1 || len(b) > 1) {
		return false
	}
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}
