package lua

import (
	"math"
	"strconv"
)

// formatNumber formats a Lua number as Lua 5.1 does (LUA_NUMBER_FMT,
// "%.14g"): what redis.call sends for a number argument, what tostring
// and cjson print.
func formatNumber(f float64) string {
	return string(appendNumber(nil, f))
}

func appendNumber(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case f == 0 && math.Signbit(f):
		return append(dst, "-0"...)
	case f == math.Trunc(f) && math.Abs(f) < 1e14:
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', 14, 64)
}

// toInteger converts a number the way Redis's (long long) cast does on
// x86-64: truncation toward zero, and the "integer indefinite" value for
// NaN and anything out of range.
func toInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}
