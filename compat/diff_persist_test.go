package compat

import "testing"

// Persistence commands whose replies do not depend on timing or on the
// files: DEBUG DIGEST / DIGEST-VALUE (Redis's digest of the data, the
// same for the same data on any server), SAVE / BGSAVE / LASTSAVE
// argument errors, DEBUG RELOAD keeping the data.

var persistPrelude = []string{"FLUSHALL"}

func persistCases() []dcase {
	return []dcase{
		tc("digest of an empty dataset", "DEBUG DIGEST", "DEBUG DIGEST-VALUE nokey", "DEBUG DIGEST-VALUE"),
		tc("digest of strings",
			"SET s hello", "SET n 12345", "SET neg -7", "DEBUG DIGEST", "DEBUG DIGEST-VALUE s n neg nokey",
			"SET t v EX 100", "DEBUG DIGEST", "DEBUG DIGEST-VALUE t", "PERSIST t", "DEBUG DIGEST-VALUE t",
			"SELECT 2", "SET s hello", "DEBUG DIGEST", "FLUSHDB", "SELECT 0"),
		tc("digest of lists",
			"RPUSH l a 1 -5 b 100000000000 3.5", "DEBUG DIGEST", "DEBUG DIGEST-VALUE l", "LPUSH l z", "DEBUG DIGEST-VALUE l"),
		tc("digest of sets",
			"SADD ints 1 2 3 -9000000000", "SADD strs a b c 1", "DEBUG DIGEST", "DEBUG DIGEST-VALUE ints strs",
			"SADD ints x", "DEBUG DIGEST-VALUE ints"),
		tc("digest of hashes",
			"HSET h f v n 1 e ''", "DEBUG DIGEST", "DEBUG DIGEST-VALUE h",
			"CONFIG SET hash-max-listpack-entries 1", "HSET h2 f v n 1", "DEBUG DIGEST-VALUE h2",
			"CONFIG SET hash-max-listpack-entries 128"),
		tc("digest of sorted sets",
			"ZADD z 1 a 1.5 b -2 c 0.1 d 1e20 e inf f -inf g 3 7", "DEBUG DIGEST", "DEBUG DIGEST-VALUE z",
			"CONFIG SET zset-max-listpack-entries 1", "ZADD z2 1 a 1.5 b -2 c 0.1 d 1e20 e inf f -inf g 3 7",
			"DEBUG DIGEST-VALUE z2", "CONFIG SET zset-max-listpack-entries 128"),
		tc("digest of streams",
			"XADD x 1-1 f v g w", "XADD x 2-0 f v2 g w2", "XADD x 3-5 other 1", "DEBUG DIGEST", "DEBUG DIGEST-VALUE x",
			"XGROUP CREATE x g 0", "DEBUG DIGEST-VALUE x", "XDEL x 2-0", "DEBUG DIGEST-VALUE x"),
		tc("reload keeps the data",
			"SET s hello", "RPUSH l a b", "HSET h f v", "SADD s2 1 2", "ZADD z 1 a", "XADD x 1-1 f v",
			"DEBUG DIGEST", "DEBUG RELOAD", "DEBUG DIGEST", "DEBUG RELOAD FOO", "TYPE x"),
		tc("save argument errors",
			"SAVE x", "BGSAVE x", "BGSAVE SCHEDULE x", "LASTSAVE x"),
	}
}

func TestDiffPersistence(t *testing.T) {
	t.Parallel()
	cases := persistCases()
	for i := range cases {
		cases[i] = cases[i].withPrelude(persistPrelude...)
	}
	diff(t, bothProtocols(cases))
}
