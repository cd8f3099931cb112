package config

import (
	"fmt"
	"strings"

	"github.com/kioku-db/kioku/resp"
)

// SplitArgs splits a configuration line into arguments the way Redis's
// sdssplitargs does (resp.SplitArgs, shared with inline commands). It
// returns ok=false for unbalanced quotes.
func SplitArgs(line string) (args []string, ok bool) {
	words, ok := resp.SplitArgs([]byte(line), nil)
	if !ok {
		return nil, false
	}
	args = make([]string, len(words))
	for i, w := range words {
		args[i] = string(w)
	}
	return args, true
}

// Repr quotes s like Redis's sdscatrepr: double quotes, backslash escapes
// for \ " \n \r \t \a \b, \xHH for every other non-printable byte. It is
// how redis-server turns command-line values into config lines and how
// CONFIG REWRITE writes strings, so SplitArgs(Repr(s)) == [s].
func Repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
