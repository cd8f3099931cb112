package config

import (
	"fmt"
	"hash/fnv"
	"strconv"
)

// Usage is redis-server's --help text, printed on stderr with exit status 1.
const Usage = `Usage: ./redis-server [/path/to/redis.conf] [options] [-]
       ./redis-server - (read config from stdin)
       ./redis-server -v or --version
       ./redis-server -h or --help
       ./redis-server --test-memory <megabytes>
       ./redis-server --check-system

Examples:
       ./redis-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./redis-server -
       ./redis-server /etc/redis/6379.conf
       ./redis-server --port 7777
       ./redis-server --port 7777 --replicaof 127.0.0.1 8888
       ./redis-server /etc/myredis.conf --loglevel verbose -
       ./redis-server /etc/myredis.conf --loglevel verbose

Sentinel mode:
       ./redis-server /etc/sentinel.conf --sentinel
`

// VersionLine is the --version output (printed on stdout, exit status 0):
// Redis's fields, so tools that parse "v=" keep working, with a build id
// derived from the Kioku version and Kioku's own version appended.
func VersionLine(kiokuVersion string) string {
	h := fnv.New64a()
	h.Write([]byte("kioku " + kiokuVersion))
	return fmt.Sprintf("Redis server v=%s sha=00000000:0 malloc=libc bits=%d build=%x kioku=%s",
		RedisVersion, strconv.IntSize, h.Sum64(), kiokuVersion)
}
