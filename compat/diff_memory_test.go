package compat

import "testing"

// MEMORY and maxmemory cases whose replies do not depend on how much
// memory a server uses: sizes differ between Redis's allocator and Go's,
// so MEMORY USAGE of a key, STATS and MALLOC-STATS are not compared. With
// maxmemory 1 any server is over the limit, whatever its size.

// memoryPrelude puts the limit back before each case.
var memoryPrelude = []string{"CONFIG SET maxmemory 0", "CONFIG SET maxmemory-policy noeviction", "FLUSHALL"}

func memoryCases() []dcase {
	return []dcase{
		tc("memory usage of a missing key",
			"MEMORY USAGE nokey", "MEMORY USAGE nokey SAMPLES 5", "MEMORY USAGE nokey SAMPLES 0",
			"memory usage nokey samples 1"),
		tc("memory usage argument errors",
			"MEMORY USAGE", "SET k v", "MEMORY USAGE k SAMPLES", "MEMORY USAGE k SAMPLES abc",
			"MEMORY USAGE k SAMPLES -1", "MEMORY USAGE k FOO 1", "MEMORY USAGE k SAMPLES 1 extra",
			"MEMORY USAGE nokey SAMPLES abc", "MEMORY USAGE nokey FOO"),
		tc("memory subcommands",
			"MEMORY", "MEMORY FOO", "MEMORY HELP", "memory help", "MEMORY HELP x", "MEMORY PURGE",
			"MEMORY PURGE x", "MEMORY DOCTOR", "MEMORY DOCTOR x", "MEMORY STATS x", "MEMORY MALLOC-STATS x"),
		tc("noeviction over maxmemory",
			"SET a b", "CONFIG SET maxmemory 1", "SET a c", "SET n v", "GET a", "INCR x", "APPEND a x",
			"EXISTS a", "EXPIRE a 100", "DEL a", "GET a", "PING", "DBSIZE", "CONFIG SET maxmemory 0", "SET a b"),
		tc("multi over maxmemory",
			"CONFIG SET maxmemory 1",
			"MULTI", "GET a", "SET b c", "INCR x", "EXEC",
			"MULTI", "DISCARD",
			"MULTI", "EXEC",
			"MULTI", "PING", "EXEC",
			"CONFIG SET maxmemory 0"),
		tc("exec after maxmemory lowered",
			"SET b v",
			"MULTI", "SET b c", cmd("CONFIG SET maxmemory 1").byOther(), "EXEC",
			cmd("CONFIG SET maxmemory 0").byOther(),
			"MULTI", "GET b", cmd("CONFIG SET maxmemory 1").byOther(), "EXEC",
			"CONFIG SET maxmemory 0"),
		tc("allkeys eviction empties the keyspace",
			"SET k1 v", "SET k2 v", "RPUSH l a b c", "CONFIG SET maxmemory-policy allkeys-lru",
			"CONFIG SET maxmemory 1", "DBSIZE", "GET k1", "SET k3 v", "CONFIG SET maxmemory 0", "SET k3 v",
			"DBSIZE"),
		tc("volatile eviction keeps persistent keys",
			"SET p v", "SET t1 v EX 100", "HSET t2 f v", "EXPIRE t2 100", "CONFIG SET maxmemory-policy volatile-ttl",
			"CONFIG SET maxmemory 1", "DBSIZE", "EXISTS t1 t2", "GET p", "SET q v", "CONFIG SET maxmemory 0"),
	}
}

func TestDiffMemory(t *testing.T) {
	t.Parallel()
	cases := memoryCases()
	for i := range cases {
		cases[i] = cases[i].withPrelude(memoryPrelude...)
	}
	diff(t, bothProtocols(cases))
}
