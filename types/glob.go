package types

// GlobMatch reports whether s matches pattern using exactly the rules of
// Redis 7.0's stringmatchlen (util.c), the matcher behind KEYS, SCAN MATCH,
// CONFIG GET and PSUBSCRIBE:
//
//   - '*' matches any run of bytes (including none), '?' exactly one byte;
//   - "[abc]", "[^abc]" and "[a-z]" match one byte from a set; reversed
//     ranges such as "[z-a]" behave like "[a-z]";
//   - '\' escapes the next byte, outside and inside brackets (an escaped
//     byte inside brackets is compared case-sensitively even with nocase,
//     as Redis does);
//   - an unterminated '[' matches like a set that runs to the end of the
//     pattern;
//   - nocase folds ASCII letters only (Redis runs tolower in the C locale).
//
// Redis quirks are kept on purpose, because clients see them: an empty
// string never matches a non-empty pattern (not even "*"), and a pattern
// whose '*' recursion nests deeper than 1000 levels matches nothing (the
// CVE-2024-31228 guard). The skip-longer-matches rule from Redis bounds the
// work to roughly len(pattern)*len(s), so patterns like "*a*a*a*a*b" cannot
// take exponential time.
func GlobMatch(pattern, s string, nocase bool) bool {
	skipLonger := false
	return globMatch(pattern, s, nocase, &skipLonger, 0)
}

// maxGlobNesting is the deepest '*' recursion Redis accepts before it
// declares "no match".
const maxGlobNesting = 1000

func globMatch(p, s string, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxGlobNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatch(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				// The rest of the pattern failed against every suffix
				// somewhere deeper: letting this '*' swallow more bytes
				// only leaves less string to match, so give up.
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			p = p[1:]
		case '[':
			var ok bool
			if p, ok = matchClass(p[1:], s[0], nocase); !ok {
				return false
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			if !sameByte(p[0], s[0], nocase) {
				return false
			}
			p = p[1:]
		default:
			if !sameByte(p[0], s[0], nocase) {
				return false
			}
			p = p[1:]
		}
		s = s[1:]
		if len(s) == 0 {
			// Trailing stars match the empty rest; anything else left in
			// the pattern means no match.
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

// matchClass matches c against the bracket expression that starts right
// after '[' and returns the pattern left after the closing ']'. An
// unterminated class consumes the rest of the pattern.
func matchClass(p string, c byte, nocase bool) (string, bool) {
	not := len(p) > 0 && p[0] == '^'
	if not {
		p = p[1:]
	}
	match := false
	for {
		switch {
		case len(p) >= 2 && p[0] == '\\':
			p = p[1:]
			if p[0] == c { // escaped bytes ignore nocase, like Redis
				match = true
			}
		case len(p) > 0 && p[0] == ']':
			return p[1:], match != not
		case len(p) == 0:
			return p, match != not
		case len(p) >= 3 && p[1] == '-':
			start, end, ch := cchar(p[0]), cchar(p[2]), cchar(c)
			if start > end {
				start, end = end, start
			}
			if nocase {
				start, end, ch = clower(start), clower(end), clower(ch)
			}
			p = p[2:]
			if ch >= start && ch <= end {
				match = true
			}
		default:
			if sameByte(p[0], c, nocase) {
				match = true
			}
		}
		p = p[1:]
	}
}

// cchar converts a byte the way C converts a (signed) char to int on the
// platforms Redis runs on, which matters for ranges over bytes >= 0x80.
func cchar(b byte) int { return int(int8(b)) }

// clower is tolower() in the C locale applied to a char-derived int.
func clower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func sameByte(a, b byte, nocase bool) bool {
	if a == b {
		return true
	}
	return nocase && clower(int(a)) == clower(int(b))
}
