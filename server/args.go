package server

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unsafe"
)

// Argument parsing with Redis's rules: integers are strict (no sign '+',
// no leading zeros, no spaces: string2ll), floats are strtod without
// leading spaces, trailing bytes or NaN.

// parseInt parses a strict 64-bit integer like Redis's string2ll.
func parseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		ch := b[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseFloat parses a double like Redis's getDoubleFromObject.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpaceByte(b[0]) {
		return 0, false
	}
	s := string(b)
	if strings.ContainsAny(s, "_") {
		return 0, false // Go accepts digit separators; strtod does not
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, false
		}
		return 0, false
	}
	return f, true
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// longDoublePrec is the significand of the x87 80-bit long double that
// Redis uses for INCRBYFLOAT; computing with the same precision gives the
// same results ("0.1" + "0.2" is "0.3", not "0.30000000000000004").
const longDoublePrec = 64

// parseLongDouble parses a number like Redis's string2ld.
func parseLongDouble(b []byte) (*big.Float, bool) {
	// MAX_LONG_DOUBLE_CHARS: longer input is not a number for Redis either.
	if len(b) == 0 || len(b) >= 5*1024 || isSpaceByte(b[0]) || strings.ContainsAny(string(b), "_") {
		return nil, false
	}
	s := string(b)
	if hasBinaryOrOctalPrefix(s) {
		return nil, false // strtold knows 0x, not Go's 0b and 0o
	}
	if isInfString(s) {
		f := new(big.Float).SetPrec(longDoublePrec).SetInf(s[0] == '-')
		return f, true
	}
	f, _, err := new(big.Float).SetPrec(longDoublePrec).Parse(s, 0)
	if err != nil || !inLongDoubleRange(f) {
		return nil, false
	}
	return f, true
}

// inLongDoubleRange reports whether strtold would parse f without ERANGE
// to infinity or zero: Redis rejects those inputs as not a valid float.
func inLongDoubleRange(f *big.Float) bool {
	if f.Sign() == 0 || f.IsInf() {
		return true
	}
	exp := f.MantExp(nil) // f = mant * 2^exp with 0.5 <= |mant| < 1
	// x87 extended: largest finite < 2^16384, smallest denormal 2^-16445.
	return exp <= 16384 && exp > -16445
}

func hasBinaryOrOctalPrefix(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 || len(t) < 2 || t[0] != '0' {
		return false
	}
	switch t[1] {
	case 'b', 'B', 'o', 'O':
		return true
	}
	return false
}

func isInfString(s string) bool {
	t := strings.ToLower(strings.TrimLeft(s, "+-"))
	return len(s)-len(t) <= 1 && (t == "inf" || t == "infinity")
}

// formatLongDouble renders like Redis's ld2string(LD_STR_HUMAN): "%.17Lf"
// with trailing zeros (and a bare point) removed, "-0" as "0".
func formatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// longDoubleSum adds like INCRBYFLOAT and HINCRBYFLOAT: an infinite
// operand or result is refused (ok false), as Redis refuses NaN and
// Infinity; the sum is formatted as Redis formats it.
func longDoubleSum(cur, incr *big.Float) (sum string, ok bool) {
	if cur.IsInf() || incr.IsInf() {
		return "", false
	}
	f := new(big.Float).SetPrec(longDoublePrec).Add(cur, incr)
	if longDoubleOverflows(f) {
		return "", false
	}
	return formatLongDouble(f), true
}

// longDoubleOverflows reports whether f is beyond the long double range
// (about 1.19e4932), where Redis's result would be infinite.
func longDoubleOverflows(f *big.Float) bool {
	return f.IsInf() || f.MantExp(nil) > 16384
}

// cString is what C code sees of an argument: the bytes before any NUL.
// Redis formats error arguments with %s and compares keywords with
// strcasecmp, both of which stop there.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// bytesToString returns b's bytes as a string without copying. The caller
// gives up b: it must never be modified afterwards. Used for large values
// built in a fresh buffer (SETRANGE) so they are not copied twice.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// transient views an argument as a string without copying, for lookups
// that do not keep it: the bytes belong to the connection's read buffer
// and change with the next request. Whatever stores the string copies it.
func transient(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// formatInt is strconv.FormatInt in base 10.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// eqFold compares an option argument with a lower-case keyword as Redis's
// strcasecmp does: without case, and only up to a NUL byte ("nx\x00junk"
// is NX).
func eqFold(arg []byte, lower string) bool {
	arg = cString(arg)
	if len(arg) != len(lower) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		ch := arg[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}
