package config

import (
	"math"
	"strconv"
	"strings"
)

// This file reproduces the number parsers Redis uses for configuration
// values. They differ from Go's strconv in ways clients can observe (leading
// zeros, signs, blanks, overflow saturation), so CONFIG SET and the config
// file accept and reject exactly what redis-server does.

// string2ll is Redis's strict integer parser: optional '-', no '+', no
// blanks, no leading zeros (except "0" itself), at most 20 characters.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	neg := false
	p := s
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// isCSpace is isspace() in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// strtoll mimics C strtoll for base 8 or 10: leading blanks, an optional
// sign, then digits; overflow saturates (C reports ERANGE, which Redis
// mostly ignores). It returns the value, the unparsed rest (the whole input
// when no digit was found, like endptr) and whether it overflowed.
func strtoll(s string, base int) (val int64, rest string, overflow bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; i < len(s); i++ {
		d := int(s[i]) - '0'
		if d < 0 || d >= base {
			break
		}
		if !overflow {
			if v > (limit-uint64(d))/uint64(base) {
				overflow = true
			} else {
				v = v*uint64(base) + uint64(d)
			}
		}
	}
	if i == start {
		return 0, s, false
	}
	switch {
	case overflow && neg:
		return math.MinInt64, s[i:], true
	case overflow:
		return math.MaxInt64, s[i:], true
	case neg:
		return int64(-v), s[i:], false
	}
	return int64(v), s[i:], false
}

// memtoull is Redis's memory-size parser: decimal digits followed by an
// optional unit (b, k, kb, m, mb, g, gb; case-insensitive; k=1000, kb=1024).
// A leading '-' or any other suffix is an error. Quirks kept on purpose: an
// empty digit string is 0, and a plain number that overflows saturates to
// 2^64-1 instead of failing (strtoull's ERANGE is not checked).
func memtoull(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 { // Redis copies the digits into a 128-byte buffer
		return 0, false
	}
	val, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		if i == 0 {
			val = 0
		} else {
			val = math.MaxUint64 // ERANGE saturation
		}
	}
	if val > math.MaxUint64/mul {
		return 0, false
	}
	return val * mul, true
}

// string2d is Redis's strict double parser (strtod over the whole string,
// no leading blank, no NaN, no overflow to infinity or underflow to zero).
// "inf" is accepted, like strtod does.
func string2d(s string) (float64, bool) {
	if len(s) == 0 || isCSpace(s[0]) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	body := strings.TrimLeft(strings.ToLower(s), "+-")
	hex := strings.HasPrefix(body, "0x")
	t := s
	if hex && !strings.Contains(body, "p") {
		t += "p0" // strtod accepts hex floats without a binary exponent
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) {
		return 0, false // syntax error, NaN, or overflow (HUGE_VAL)
	}
	if v == 0 {
		// strtod flags ERANGE when a non-zero literal underflows to zero.
		mant := strings.TrimPrefix(body, "0x")
		if i := strings.IndexAny(mant, map[bool]string{true: "p", false: "e"}[hex]); i >= 0 {
			mant = mant[:i]
		}
		if strings.Trim(mant, "0.") != "" {
			return 0, false
		}
	}
	return v, true
}

// formatPercentile renders a double like Redis's "%f" followed by
// trimDoubleString: six decimals, then trailing zeros and the dot removed.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}
