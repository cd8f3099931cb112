package config

import "github.com/kioku-db/kioku/resp"

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
func Repr(s string) string { return resp.Repr(s) }
