package config

import (
	"strconv"
	"strings"
)

// special is a parameter whose syntax does not fit the generic kinds.
type special struct {
	set func(args []string, cur value, st *setState) (value, string)
}

// --- dir -------------------------------------------------------------------

// setDir mirrors Redis's chdir(): relative paths resolve against the
// current dir and the result is shown as getcwd() would (absolute, with
// symlinks resolved). Kioku does not chdir here; the server may do so from
// an OnApply hook.
func setDir(args []string, cur value, st *setState) (value, string) {
	if len(args) != 1 {
		return value{}, "wrong number of arguments"
	}
	dir, err := st.fs.ResolveDir(cur.s, args[0])
	if err != nil {
		return value{}, strerror(err)
	}
	return value{s: dir}, ""
}

// --- save ------------------------------------------------------------------

type savePoint struct {
	seconds int64
	changes int32
}

// setSave validates "seconds changes" pairs. Inside a config file the first
// "save" line replaces the defaults and later ones accumulate; CONFIG SET
// and `save ""` replace everything.
func setSave(args []string, cur value, st *setState) (value, string) {
	reset := false
	if len(args) == 1 && args[0] == "" {
		args, reset = nil, true
	}
	if len(args)%2 != 0 {
		return value{}, "Invalid save parameters"
	}
	points := make([]savePoint, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		secs, rest1, _ := strtoll(args[j], 10)
		changes, rest2, _ := strtoll(args[j+1], 10)
		if rest1 != "" || rest2 != "" || secs < 1 || changes < 0 {
			return value{}, "Invalid save parameters"
		}
		// Redis stores changes in an int: larger values wrap.
		points = append(points, savePoint{secs, int32(changes)})
	}
	var keep []savePoint
	if st.fromFile && !reset {
		if *st.saveLoaded {
			keep = parseSave(cur.s)
		}
		*st.saveLoaded = true
	}
	return value{s: formatSave(append(keep, points...))}, ""
}

func parseSave(s string) []savePoint {
	f := strings.Fields(s)
	out := make([]savePoint, 0, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		secs, _ := strconv.ParseInt(f[i], 10, 64)
		ch, _ := strconv.ParseInt(f[i+1], 10, 32)
		out = append(out, savePoint{secs, int32(ch)})
	}
	return out
}

func formatSave(points []savePoint) string {
	parts := make([]string, 0, 2*len(points))
	for _, p := range points {
		parts = append(parts, strconv.FormatInt(p.seconds, 10), strconv.FormatInt(int64(p.changes), 10))
	}
	return strings.Join(parts, " ")
}

// --- client-output-buffer-limit --------------------------------------------

// Output buffer limit classes, in the order Redis renders them.
var obufClasses = []string{"normal", "slave", "pubsub"}

type obufLimit struct {
	hard, soft uint64
	seconds    int64
}

func obufClass(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return 0
	case "slave", "replica":
		return 1
	case "pubsub":
		return 2
	}
	return -1 // "master" is a valid client type but has no limit
}

// setObuf validates every "<class> <hard> <soft> <seconds>" group before
// changing anything, then updates only the classes that were named.
func setObuf(args []string, cur value, _ *setState) (value, string) {
	if len(args)%4 != 0 {
		return value{}, "Wrong number of arguments in buffer limit configuration."
	}
	limits := parseObuf(cur.s)
	for j := 0; j < len(args); j += 4 {
		class := obufClass(args[j])
		if class < 0 {
			return value{}, "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memtoull(args[j+1])
		soft, ok2 := memtoull(args[j+2])
		secs, rest, _ := strtoll(args[j+3], 10)
		secs = int64(int32(secs)) // stored through a C int first
		if !ok1 || !ok2 || secs < 0 || rest != "" {
			return value{}, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		limits[class] = obufLimit{hard, soft, secs}
	}
	return value{s: formatObuf(limits)}, ""
}

func parseObuf(s string) [3]obufLimit {
	var out [3]obufLimit
	f := strings.Fields(s)
	for i := 0; i+3 < len(f); i += 4 {
		c := obufClass(f[i])
		if c < 0 {
			continue
		}
		out[c].hard, _ = strconv.ParseUint(f[i+1], 10, 64)
		out[c].soft, _ = strconv.ParseUint(f[i+2], 10, 64)
		out[c].seconds, _ = strconv.ParseInt(f[i+3], 10, 64)
	}
	return out
}

func formatObuf(l [3]obufLimit) string {
	parts := make([]string, 0, 12)
	for i, c := range obufClasses {
		parts = append(parts, c, strconv.FormatUint(l[i].hard, 10), strconv.FormatUint(l[i].soft, 10), strconv.FormatInt(l[i].seconds, 10))
	}
	return strings.Join(parts, " ")
}

// --- oom-score-adj-values --------------------------------------------------

func setOOMValues(args []string, _ value, _ *setState) (value, string) {
	if len(args) != 3 {
		return value{}, "wrong number of arguments"
	}
	parts := make([]string, 3)
	for i, a := range args {
		v, rest, _ := strtoll(a, 10)
		if rest != "" || v < -2000 || v > 2000 {
			return value{}, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
		parts[i] = strconv.FormatInt(v, 10)
	}
	return value{s: strings.Join(parts, " ")}, ""
}

// --- notify-keyspace-events ------------------------------------------------

// Keyspace notification classes, the bits behind notify-keyspace-events
// (Int("notify-keyspace-events") returns them OR-ed together).
const (
	NotifyKeyspace = 1 << 0  // K
	NotifyKeyevent = 1 << 1  // E
	NotifyGeneric  = 1 << 2  // g
	NotifyString   = 1 << 3  // $
	NotifyList     = 1 << 4  // l
	NotifySet      = 1 << 5  // s
	NotifyHash     = 1 << 6  // h
	NotifyZset     = 1 << 7  // z
	NotifyExpired  = 1 << 8  // x
	NotifyEvicted  = 1 << 9  // e
	NotifyStream   = 1 << 10 // t
	NotifyKeyMiss  = 1 << 11 // m (not part of A)
	NotifyLoaded   = 1 << 12 // module-only, no letter
	NotifyModule   = 1 << 13 // d
	NotifyNew      = 1 << 14 // n (not part of A)
	// NotifyAll is what the 'A' alias stands for.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
		NotifyZset | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// notifyLetters lists the classes in the order Redis renders them.
var notifyLetters = []struct {
	c    byte
	flag int64
}{
	{'g', NotifyGeneric}, {'$', NotifyString}, {'l', NotifyList}, {'s', NotifySet},
	{'h', NotifyHash}, {'z', NotifyZset}, {'x', NotifyExpired}, {'e', NotifyEvicted},
	{'t', NotifyStream}, {'d', NotifyModule}, {'n', NotifyNew},
}

func setNotify(args []string, _ value, _ *setState) (value, string) {
	if len(args) != 1 {
		return value{}, "wrong number of arguments"
	}
	var flags int64
	for i := 0; i < len(args[0]); i++ {
		switch c := args[0][i]; c {
		case 'A':
			flags |= NotifyAll
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 'm':
			flags |= NotifyKeyMiss
		default:
			found := false
			for _, l := range notifyLetters {
				if l.c == c {
					flags |= l.flag
					found = true
				}
			}
			if !found {
				return value{}, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
			}
		}
	}
	return value{s: formatNotify(flags), n: flags}, ""
}

func formatNotify(flags int64) string {
	var b strings.Builder
	if flags&NotifyAll == NotifyAll {
		b.WriteByte('A') // 'n' is outside A and is then not shown, like Redis
	} else {
		for _, l := range notifyLetters {
			if flags&l.flag != 0 {
				b.WriteByte(l.c)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&NotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&NotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// --- bind ------------------------------------------------------------------

const maxBindAddrs = 16

func setBind(args []string, _ value, _ *setState) (value, string) {
	if len(args) > maxBindAddrs {
		return value{}, "Too many bind addresses specified."
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	return value{s: strings.Join(args, " ")}, ""
}

// --- replicaof -------------------------------------------------------------

func setReplicaOf(args []string, _ value, _ *setState) (value, string) {
	if len(args) != 2 {
		return value{}, "wrong number of arguments"
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return value{}, ""
	}
	port, rest, _ := strtoll(args[1], 10)
	p := int64(int32(port)) // masterport is a C int
	if p < 0 || p > 65535 || rest != "" {
		return value{}, "Invalid master port"
	}
	return value{s: args[0] + " " + strconv.FormatInt(p, 10)}, ""
}

// --- latency-tracking-info-percentiles -------------------------------------

func setPercentiles(args []string, _ value, _ *setState) (value, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	parts := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := string2d(a)
		if !ok {
			return value{}, "Invalid latency-tracking-info-percentiles parameters"
		}
		if f > 100 || f < 0 {
			return value{}, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		parts = append(parts, formatPercentile(f))
	}
	return value{s: strings.Join(parts, " ")}, ""
}
