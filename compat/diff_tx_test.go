package compat

import "testing"

// Transactions compared with real Redis, including WATCH broken by another
// client (byOther steps run on a second connection).
func txCases() []dcase {
	return []dcase{
		tc("multi exec",
			"MULTI", "SET a 1", "INCR a", "GET a", "EXEC", "GET a"),
		tc("exec runtime error does not stop the rest",
			"SET s str", "MULTI", "INCR s", "SET b 2", "GET b", "EXEC"),
		tc("queue-time errors abort",
			"MULTI", "SET a 1", "NOSUCHCMD x", "EXEC", "EXISTS a",
			"MULTI", "GET", "SET a 1", "EXEC", "EXISTS a"),
		tc("nested and stray",
			"EXEC", "DISCARD", "MULTI", "MULTI", "SET a 1", "EXEC", "GET a"),
		tc("discard",
			"MULTI", "SET a 1", "DISCARD", "EXISTS a", "EXEC"),
		tc("watch inside multi",
			"MULTI", "WATCH x", "SET x 1", "EXEC", "GET x"),
		tc("empty transaction", "MULTI", "EXEC"),
		tc("select inside multi",
			"MULTI", "SELECT 1", "SET a 1", "SELECT 0", "EXEC", "SELECT 1", "GET a", "SELECT 0", "GET a"),
		tc("watch then other client writes",
			"SET w 1", "WATCH w", cmd("SET w 2").byOther(), "MULTI", "SET w 3", "EXEC", "GET w"),
		tc("watch then other client deletes",
			"SET w 1", "WATCH w", cmd("DEL w").byOther(), "MULTI", "SET x 1", "EXEC", "EXISTS x"),
		tc("watch missing key then other client creates it",
			"WATCH w", cmd("SET w 1").byOther(), "MULTI", "SET x 1", "EXEC"),
		tc("watch untouched",
			"SET w 1", "WATCH w", cmd("SET other 1").byOther(), "MULTI", "SET w 3", "EXEC", "GET w"),
		tc("unwatch",
			"SET w 1", "WATCH w", "UNWATCH", cmd("SET w 2").byOther(), "MULTI", "SET w 3", "EXEC", "GET w"),
		tc("watch flushall",
			"SET w 1", "WATCH w", cmd("FLUSHALL").byOther(), "MULTI", "SET x 1", "EXEC"),
		tc("watch flushall of a missing key",
			"WATCH w", cmd("FLUSHALL").byOther(), "MULTI", "SET x 1", "EXEC"),
		tc("watch rename onto key",
			"SET w 1", "SET src 2", "WATCH w", cmd("RENAME src w").byOther(), "MULTI", "GET w", "EXEC"),
		tc("watch swapdb",
			"SET w 1", "WATCH w", cmd("SWAPDB 0 1").byOther(), "MULTI", "PING", "EXEC"),
		tc("own write breaks own watch",
			"SET w 1", "WATCH w", "SET w 2", "MULTI", "PING", "EXEC"),
		tc("watch expire touched",
			"SET w 1", "WATCH w", cmd("EXPIRE w 100").byOther(), "MULTI", "PING", "EXEC"),
		tc("watch and stream group changes",
			"XADD s 1-1 f v", "XGROUP CREATE s g 0", "WATCH s", cmd("XGROUP CREATECONSUMER s g c").byOther(),
			"MULTI", "PING", "EXEC", "WATCH s", cmd("XGROUP DESTROY s g").byOther(), "MULTI", "PING", "EXEC",
			"WATCH s", cmd("XGROUP CREATE s g2 $").byOther(), "MULTI", "PING", "EXEC",
			"WATCH s", cmd("XGROUP SETID s g2 0").byOther(), "MULTI", "PING", "EXEC"),
		tc("watch after exec is cleared",
			"SET w 1", "WATCH w", "MULTI", "PING", "EXEC", cmd("SET w 2").byOther(), "MULTI", "PING", "EXEC"),
		tc("reset discards", "MULTI", "SET a 1", "RESET", "EXISTS a", "EXEC"),
		tc("error reply types inside exec",
			"MULTI", "SET k v", "EXPIRE k abc", "INCRBYFLOAT k 1", "GET k", "EXEC"),
	}
}

func TestDiffTransactions(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(txCases()))
}
