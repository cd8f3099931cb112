package cmdspec

import (
	"errors"
	"math"
)

// The errors COMMAND GETKEYS answers, in Redis 7.0's words.
var (
	ErrNoKeyArgs   = errors.New("ERR The command has no key arguments")
	ErrArgCount    = errors.New("ERR Invalid number of arguments specified for command")
	ErrInvalidArgs = errors.New("ERR Invalid arguments specified for command")
)

// KeyPositions returns the indexes into args (args[0] is the command name,
// args[1] a subcommand's name) of every key, in the order and with the
// errors of Redis 7.0's COMMAND GETKEYS: ErrNoKeyArgs for a command without
// keys, ErrArgCount when args break the arity, ErrInvalidArgs when no key
// is found (a bad numkeys, XREAD without STREAMS...) unless the command's
// keys are optional (EVAL, FCALL: an empty result). A caller that only
// needs the keys to lock can treat every error as "no keys": the command
// itself will then fail.
func (s *Spec) KeyPositions(args [][]byte) ([]int, error) {
	return s.AppendKeyPositions(nil, args)
}

// AppendKeyPositions is KeyPositions appending to dst, to spare an
// allocation per command on the hot path.
func (s *Spec) AppendKeyPositions(dst []int, args [][]byte) ([]int, error) {
	if !s.hasKeys() {
		return dst, ErrNoKeyArgs
	}
	if (s.Arity > 0 && s.Arity != len(args)) || len(args) < -s.Arity {
		return dst, ErrArgCount
	}
	n := len(dst)
	dst = s.findKeys(dst, args)
	if len(dst) == n && !s.Is(FlagNoMandatoryKeys) {
		return dst, ErrInvalidArgs
	}
	return dst, nil
}

// hasKeys is Redis's doesCommandHaveKeys: a getkeys function, or a key
// spec that is not marked not_key (SPUBLISH's channel is one).
func (s *Spec) hasKeys() bool {
	return s.getKeys != nil || s.keyInv&keyNotKey != 0
}

// findKeys is getKeysFromCommandWithSpecs: the key specs when they are
// complete and their flags fixed, else the command's getkeys function.
func (s *Spec) findKeys(dst []int, args [][]byte) []int {
	if s.keyInv&keyNotKey != 0 && s.keyBits&keyVariableFlags == 0 {
		if out, ok := s.keysFromSpecs(dst, args); ok {
			return out
		}
	}
	if s.getKeys != nil {
		return s.getKeys(dst, args)
	}
	return dst
}

// keysFromSpecs is getKeysUsingKeySpecs. ok is false when a spec cannot
// be applied (unknown, incomplete, out of bounds, bad numkeys), and Redis
// then falls back to the getkeys function.
func (s *Spec) keysFromSpecs(dst []int, args [][]byte) (out []int, ok bool) {
	n := len(dst)
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if ks.bits&keyNotKey != 0 {
			continue
		}
		first, found, valid := ks.begin(args)
		if !valid {
			return dst[:n], false
		}
		if !found {
			continue
		}
		first, last, step, valid := ks.end(args, first)
		if !valid || last >= len(args) || last < first || first >= len(args) {
			return dst[:n], false
		}
		for k := first; k <= last; k += step {
			dst = append(dst, k)
		}
		if ks.bits&keyIncomplete != 0 {
			return dst[:n], false
		}
	}
	return dst, true
}

// begin finds the first argument the spec looks at. found is false when
// its keyword is absent (the spec then has no keys); valid is false for an
// unknown begin_search.
func (ks *KeySpec) begin(args [][]byte) (first int, found, valid bool) {
	switch ks.BeginSearch.Type {
	case "index":
		return ks.BeginSearch.Index, true, true
	case "keyword":
		i := ks.keywordIndex(args)
		return i + 1, i > 0, true
	}
	return 0, false, false
}

// keywordIndex returns where the keyword is, or 0. It walks exactly as
// Redis 7.0 does: from startfrom towards the end without looking at the
// last argument, or (negative startfrom) from the end towards the start
// without looking at argument 1.
func (ks *KeySpec) keywordIndex(args [][]byte) int {
	argc, from := len(args), ks.BeginSearch.StartFrom
	start, end := from, argc-1
	if from <= 0 {
		start, end = argc+from, 1
	}
	for i := start; i != end; {
		if i >= argc || i < 1 {
			break
		}
		if eq(args[i], ks.BeginSearch.Keyword) {
			return i
		}
		if start <= end {
			i++
		} else {
			i--
		}
	}
	return 0
}

// end returns the first and last arguments that may be keys (a keynum
// spec's keys start after the count) and the step; valid is false for an
// unknown find_keys or a numkeys that is not a count.
func (ks *KeySpec) end(args [][]byte, start int) (first, last, step int, valid bool) {
	first = start
	fk := &ks.FindKeys
	switch fk.Type {
	case "range":
		switch {
		case fk.LastKey >= 0:
			last = first + fk.LastKey
		case fk.Limit == 0:
			last = len(args) + fk.LastKey
		default:
			last = first + (len(args)-first)/fk.Limit + fk.LastKey
		}
		return first, last, fk.KeyStep, true
	case "keynum":
		idx := first + fk.KeyNumIdx
		if idx >= len(args) {
			return 0, 0, 0, false
		}
		num, ok := parseCount(args[idx])
		if !ok {
			return 0, 0, 0, false
		}
		first += fk.FirstKey
		// Redis adds the count as a C int, truncating it.
		return first, first + int(int32(num)) - 1, fk.KeyStep, true
	}
	return 0, 0, 0, false
}

// parseCount parses a non-negative count as Redis's string2ll does: no
// sign, no leading zeros, no spaces, no overflow.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
