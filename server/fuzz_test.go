package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kioku-db/kioku/server/servertest"
)

// fuzzSkipped are commands a fuzzer must not send: they stop or pause the
// server, block by design, or run code that may not end.
var fuzzSkipped = map[string]bool{
	"debug": true, "shutdown": true, "monitor": true, "quit": true,
	"client": true, "blpop": true, "brpop": true, "blmove": true,
	"brpoplpush": true, "blmpop": true, "bzpopmin": true, "bzpopmax": true,
	"bzmpop": true, "xread": true, "xreadgroup": true, "wait": true,
	"waitaof": true, "subscribe": true, "psubscribe": true, "ssubscribe": true,
	"sync": true, "psync": true, "replicaof": true, "slaveof": true,
	"failover": true, "save": true, "bgsave": true, "bgrewriteaof": true,
	// A mutated script can loop for ever, which Redis allows too.
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true,
	"fcall": true, "fcall_ro": true,
}

// FuzzCommand sends random argument vectors to a live server: every request
// must get a complete reply within a few seconds, and the server must keep
// answering PING. Arguments are the input split at NUL bytes; the seeds
// name real commands so mutations reach the handlers, not only the
// unknown-command path.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		"set\x00k\x00v\x00ex\x0010",
		"set\x00k\x00v\x00px\x00-1",
		"getrange\x00k\x009223372036854775807\x00-9223372036854775808",
		"setrange\x00k\x00536870911\x00x",
		"incrbyfloat\x00k\x001e308",
		"lcs\x00a\x00b\x00idx\x00minmatchlen\x00-5\x00withmatchlen",
		"expire\x00k\x009223372036854775807",
		"scan\x0018446744073709551615\x00count\x000",
		"keys\x00*[a-\\",
		"command\x00getkeys\x00eval\x00x\x00-1",
		"config\x00set\x00maxmemory\x00-1",
		"object\x00encoding\x00k",
		"copy\x00a\x00b\x00db\x0099",
		"hello\x004",
		"zadd\x00z\x00incr\x00nan\x00m",
		"zadd\x00z\x00xx\x00gt\x00ch\x000x1p-1074\x00m\x00-inf\x00n",
		"zrange\x00z\x00(1\x00+inf\x00byscore\x00rev\x00limit\x00-1\x00-5",
		"zrangebylex\x00z\x00[a\x00(\x00limit\x000\x009223372036854775807",
		"zrangestore\x00d\x00z\x00-9223372036854775808\x009223372036854775807",
		"zunionstore\x00d\x009223372036854775807\x00a",
		"zinter\x002\x00a\x00b\x00weights\x00inf\x00-inf\x00aggregate\x00sum\x00withscores",
		"zmpop\x009223372036854775807\x00a\x00min",
		"zintercard\x00-1\x00a\x00limit\x00-1",
		"zremrangebyrank\x00z\x00-9223372036854775808\x00-9223372036854775808",
		"zscan\x00z\x0018446744073709551615\x00count\x001",
		"xadd\x00s\x00maxlen\x00~\x00-1\x00limit\x009223372036854775807\x00*\x00f\x00v",
		"xadd\x00s\x0018446744073709551615-*\x00f\x00v",
		"xrange\x00s\x00(18446744073709551615-18446744073709551615\x00+\x00count\x00-1",
		"xtrim\x00s\x00minid\x00=\x000-1\x00limit\x000",
		"xgroup\x00create\x00s\x00g\x00$\x00mkstream\x00entriesread\x00-2",
		"xreadgroup\x00group\x00g\x00c\x00count\x000\x00noack\x00streams\x00s\x00>",
		"xautoclaim\x00s\x00g\x00c\x00-1\x000-0\x00count\x009223372036854775807\x00justid",
		"xclaim\x00s\x00g\x00c\x000\x000-1\x00idle\x00-5\x00retrycount\x00-1\x00force\x00lastid\x00x",
		"xpending\x00s\x00g\x00idle\x009223372036854775807\x00-\x00+\x00-10",
		"xinfo\x00stream\x00s\x00full\x00count\x00-1",
		"xsetid\x00s\x000-0\x00entriesadded\x00-1\x00maxdeletedid\x0018446744073709551615-0",
		"memory\x00usage\x00k\x00samples\x00-1",
	} {
		f.Add([]byte(seed))
	}
	srv, err := servertest.New()
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	f.Fuzz(func(t *testing.T, data []byte) {
		args := bytes.Split(data, []byte{0})
		if len(args) == 0 || fuzzSkipped[strings.ToLower(string(args[0]))] {
			return
		}
		send(t, conn, args)
		readReply(t, conn, rd)
		send(t, conn, [][]byte{[]byte("PING")})
		if line := readReply(t, conn, rd); line != "+PONG" {
			// A command may legitimately switch protocols or enter a mode;
			// reset the connection's state and check again.
			send(t, conn, [][]byte{[]byte("RESET")})
			readReply(t, conn, rd)
		}
	})
}

func send(t *testing.T, conn net.Conn, args [][]byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readReply reads one complete RESP2/RESP3 reply and returns its first line.
func readReply(t *testing.T, conn net.Conn, rd *bufio.Reader) string {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	first := ""
	var pending = 1
	for pending > 0 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("server did not answer: %v", err)
		}
		line = strings.TrimSuffix(line, "\r\n")
		if first == "" {
			first = line
		}
		pending--
		pending += replyChildren(t, rd, line)
	}
	return first
}

// replyChildren consumes a bulk payload or reports how many nested replies
// follow an aggregate header.
func replyChildren(t *testing.T, rd *bufio.Reader, line string) int {
	if line == "" {
		t.Fatal("empty reply line")
	}
	var n int
	switch line[0] {
	case '$', '=', '!':
		fmt.Sscan(line[1:], &n)
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(rd, buf); err != nil {
				t.Fatalf("short bulk: %v", err)
			}
		}
		return 0
	case '*', '~', '>':
		fmt.Sscan(line[1:], &n)
		return max(n, 0)
	case '%', '|':
		fmt.Sscan(line[1:], &n)
		return 2 * n
	}
	return 0
}
