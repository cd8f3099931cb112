package config

import (
	"math"
	"strconv"
	"strings"
)

// flag describes how a parameter may be changed and shown.
type flag uint16

const (
	immutable   flag = 1 << iota // CONFIG SET refuses it: "can't set immutable config"
	protected                    // CONFIG SET needs enable-protected-configs
	sensitive                    // value must be redacted from SLOWLOG/MONITOR
	hidden                       // CONFIG GET returns it only for an exact name
	denyLoading                  // CONFIG SET answers -LOADING while loading
	multiArg                     // CONFIG SET splits the value on spaces; the file passes all args
	alwaysApply                  // hooks run even when the value did not change
)

// numFlag refines an integer parameter.
type numFlag uint8

const (
	memory   numFlag = 1 << iota // accepts 1k/1kb/... and renders plain bytes
	percent                      // accepts "N%" (stored negated, rendered "N%")
	octal                        // parsed and rendered in base 8
	unsigned                     // C storage is unsigned: bounds compared as uint64
)

// kind selects the parse/render behaviour of a parameter.
type kind uint8

const (
	kindBool kind = iota
	kindNum
	kindEnum
	kindString
	kindSpecial
)

// value is a parameter's current setting: s is exactly what CONFIG GET
// shows, n the number behind it (integers, booleans 0/1, enum bits).
type value struct {
	s string
	n int64
}

// setState carries what Redis keeps in globals while a config is set: the
// difference between reading a file and CONFIG SET matters for "save".
type setState struct {
	fromFile   bool  // reading_config_file in Redis
	saveLoaded *bool // a "save" line was already seen in this load
	fs         fileSystem
}

// param is one row of the declarative table in params.go.
type param struct {
	name  string
	alias string
	flags flag
	kind  kind
	def   string // default, in CONFIG GET form ("" for dir: the cwd)

	// kindNum
	min, max int64
	num      numFlag
	// kindEnum
	enum     []enumItem
	bitflags bool // several names may be combined ("nosave now")
	// optional validation of the parsed value: returns an error text.
	checkNum  func(int64) string
	checkStr  func(string) string
	emptyNull bool // string stored as NULL when empty (affects REWRITE)
	// runtimeClamp models Redis apply functions that adjust the value
	// after CONFIG SET (hz is capped, the backlog has a minimum size).
	runtimeClamp func(int64) int64
	// kindSpecial
	special *special

	idx int // position in the table, set at init
}

type enumItem struct {
	name string
	val  int64
}

func (p *param) has(f flag) bool { return p.flags&f != 0 }

// set parses args (one argument unless multiArg) into a new value. cur is
// the present value, used by parameters whose update depends on it. The
// returned string is Redis's error text, empty on success.
func (p *param) set(args []string, cur value, st *setState) (value, string) {
	switch p.kind {
	case kindBool:
		return p.setBool(args[0])
	case kindNum:
		return p.setNum(args[0])
	case kindEnum:
		return p.setEnum(args)
	case kindString:
		if p.checkStr != nil {
			if e := p.checkStr(args[0]); e != "" {
				return value{}, e
			}
		}
		return value{s: args[0]}, ""
	}
	return p.special.set(args, cur, st)
}

func (p *param) setBool(arg string) (value, string) {
	var b bool
	switch strings.ToLower(arg) {
	case "yes":
		b = true
	case "no":
	default:
		return value{}, "argument must be 'yes' or 'no'"
	}
	if p.checkNum != nil {
		if e := p.checkNum(boolNum(b)); e != "" {
			return value{}, e
		}
	}
	return boolValue(b), ""
}

func boolNum(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func boolValue(b bool) value {
	if b {
		return value{s: "yes", n: 1}
	}
	return value{s: "no", n: 0}
}

// setNum follows numericParseString + numericBoundaryCheck.
func (p *param) setNum(arg string) (value, string) {
	n, ok := p.parseNum(arg)
	if !ok {
		switch {
		case p.num&memory != 0 && p.num&percent != 0:
			return value{}, "argument must be a memory or percent value"
		case p.num&memory != 0:
			return value{}, "argument must be a memory value"
		case p.num&octal != 0:
			return value{}, "argument couldn't be parsed as an octal number"
		}
		return value{}, "argument couldn't be parsed into an integer"
	}
	if e := p.checkBounds(n); e != "" {
		return value{}, e
	}
	if p.checkNum != nil {
		if e := p.checkNum(n); e != "" {
			return value{}, e
		}
	}
	return p.numValue(n), ""
}

func (p *param) parseNum(arg string) (int64, bool) {
	if p.num&memory != 0 {
		if v, ok := memtoull(arg); ok {
			return int64(v), true // C stores it in a long long
		}
	}
	if p.num&percent != 0 && len(arg) > 1 && arg[len(arg)-1] == '%' {
		if v, ok := string2ll(arg[:len(arg)-1]); ok && v >= 0 {
			return -v, true // percentages are stored negated
		}
	}
	if p.num&octal != 0 {
		if v, rest, overflow := strtoll(arg, 8); !overflow && rest == "" {
			return v, true
		}
	}
	if p.num&(memory|percent|octal) == 0 {
		return string2ll(arg)
	}
	return 0, false
}

func (p *param) checkBounds(n int64) string {
	if p.num&unsigned != 0 {
		u, lo, hi := uint64(n), uint64(p.min), uint64(p.max)
		if u < lo || u > hi {
			if p.num&octal != 0 {
				return "argument must be between " + strconv.FormatUint(lo, 8) + " and " + strconv.FormatUint(hi, 8) + " inclusive"
			}
			return "argument must be between " + strconv.FormatUint(lo, 10) + " and " + strconv.FormatUint(hi, 10) + " inclusive"
		}
		return ""
	}
	if p.num&percent != 0 && n < 0 {
		if n < p.min {
			return "percentage argument must be less or equal to " + strconv.FormatInt(-p.min, 10)
		}
		return ""
	}
	if n < p.min || n > p.max {
		return "argument must be between " + strconv.FormatInt(p.min, 10) + " and " + strconv.FormatInt(p.max, 10) + " inclusive"
	}
	return ""
}

// numValue renders n the way numericConfigGet does.
func (p *param) numValue(n int64) value {
	switch {
	case p.num&percent != 0 && n < 0:
		return value{s: strconv.FormatInt(-n, 10) + "%", n: n}
	case p.num&memory != 0:
		return value{s: strconv.FormatUint(uint64(n), 10), n: n}
	case p.num&octal != 0:
		return value{s: strconv.FormatUint(uint64(n), 8), n: n}
	}
	return value{s: strconv.FormatInt(n, 10), n: n}
}

// setEnum follows configEnumGetValue: case-insensitive names, several of
// them OR-ed together for bit-flag enums.
func (p *param) setEnum(args []string) (value, string) {
	if len(args) == 0 || (!p.bitflags && len(args) != 1) {
		return value{}, p.enumError()
	}
	var v int64
	for _, a := range args {
		matched := false
		for _, it := range p.enum {
			if strings.EqualFold(a, it.name) {
				v |= it.val
				matched = true
			}
		}
		if !matched {
			return value{}, p.enumError()
		}
	}
	if p.checkNum != nil {
		if e := p.checkNum(v); e != "" {
			return value{}, e
		}
	}
	return value{s: p.enumName(v), n: v}, ""
}

func (p *param) enumError() string {
	names := make([]string, len(p.enum))
	for i, it := range p.enum {
		names[i] = it.name
	}
	msg := "argument(s) must be one of the following: " + strings.Join(names, ", ")
	if len(msg) > 255 { // Redis formats it into a 256-byte buffer
		msg = msg[:255]
	}
	return msg
}

// enumName follows configEnumGetName: an exact value wins (the first name
// listed, so oom-score-adj "relative" shows as "yes"); bit flags are listed
// in table order.
func (p *param) enumName(v int64) string {
	var names []string
	unmatched := v
	for _, it := range p.enum {
		if v == it.val {
			return it.name
		}
		if p.bitflags && it.val != 0 && it.val == unmatched&it.val {
			names = append(names, it.name)
			unmatched &^= it.val
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// Bounds of the C types behind the numeric parameters.
const (
	intMin   = math.MinInt32
	intMax   = math.MaxInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
	// ullongMax is ULLONG_MAX seen through a long long, like the C table.
	ullongMax = -1
)
