package server_test

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// TestClientPauseWriteHoldsExec: under CLIENT PAUSE WRITE a transaction of
// reads runs, while one holding a write waits, as in Redis (whose
// is_may_replicate_command looks at the queued commands' flags).
func TestClientPauseWriteHoldsExec(t *testing.T) {
	srv := servertest.Start(t)
	admin := clients(t, srv)["resp2"]
	require.NoError(t, admin.Set(ctx, "k", "1", 0).Err())

	other := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer other.Close()
	reads, err := other.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// Queued before the pause: only EXEC meets it.
		require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 60000, "WRITE").Err())
		p.Get(ctx, "k")
		return nil
	})
	require.NoError(t, err, "a read-only EXEC runs during a write pause")
	require.Equal(t, "1", reads[0].(*redis.StringCmd).Val())

	done := make(chan error, 1)
	go func() {
		_, err := other.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, "k")
			p.Incr(ctx, "k")
			return nil
		})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a transaction with a write ran during the pause: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	require.Equal(t, "1", admin.Get(ctx, "k").Val())
	require.NoError(t, admin.Do(ctx, "CLIENT", "UNPAUSE").Err())
	require.NoError(t, <-done)
	require.Equal(t, "2", admin.Get(ctx, "k").Val())
}

// clientField reads one field of a CLIENT LIST line.
func clientField(t *testing.T, line, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(name) + `=(\S*)`).FindStringSubmatch(line)
	require.NotNil(t, m, "no %s in %q", name, line)
	return m[1]
}

// clientLine finds the CLIENT LIST line of the client named name.
func clientLine(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	l, ok := findClientLine(c, name)
	if !ok {
		t.Fatalf("no client named %s", name)
	}
	return l
}

// findClientLine is clientLine for polling: the name may not be set yet.
func findClientLine(c *redis.Client, name string) (string, bool) {
	for _, l := range strings.Split(c.ClientList(ctx).Val(), "\n") {
		if strings.Contains(l, " name="+name+" ") {
			return l, true
		}
	}
	return "", false
}

// TestClientListBuffers: CLIENT LIST reports what Redis computes: the
// caller's own request (qbuf, argv-mem), a transaction being queued
// (flag x, multi, multi-mem) and the output waiting for a subscriber that
// does not read (oll, omem, included in tot-mem).
func TestClientListBuffers(t *testing.T) {
	srv := servertest.Start(t)
	admin := clients(t, srv)["resp2"]

	line := admin.Do(ctx, "CLIENT", "INFO").Val().(string)
	require.Equal(t, "26", clientField(t, line, "qbuf"), "the CLIENT INFO request itself")
	require.Equal(t, "10", clientField(t, line, "argv-mem"))
	require.Equal(t, "-1", clientField(t, line, "multi"))

	tx := redis.NewClient(&redis.Options{Addr: srv.Addr(), ClientName: "tx"})
	defer tx.Close()
	conn := tx.Conn()
	defer conn.Close()
	require.NoError(t, conn.ClientSetName(ctx, "tx").Err())
	require.NoError(t, conn.Do(ctx, "MULTI").Err())
	require.Equal(t, "QUEUED", conn.Do(ctx, "SET", "a", "1").Val())
	require.Equal(t, "QUEUED", conn.Do(ctx, "SET", "bbbbbb", "2").Val())
	line = clientLine(t, admin, "tx")
	require.Equal(t, "x", clientField(t, line, "flags"))
	require.Equal(t, "2", clientField(t, line, "multi"))
	require.Equal(t, "63", clientField(t, line, "multi-mem"), "Redis's count: argument bytes and 24 per command")
	require.Equal(t, "set", clientField(t, line, "cmd"))
	require.NoError(t, conn.Do(ctx, "DISCARD").Err())
	require.Equal(t, "-1", clientField(t, clientLine(t, admin, "tx"), "multi"))

	// A subscriber that never reads: what the kernel does not take waits
	// in its queue.
	sub, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer sub.Close()
	_, err = sub.Write([]byte("CLIENT SETNAME slow\r\nSUBSCRIBE ch\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		l, ok := findClientLine(admin, "slow")
		return ok && strings.Contains(l, " sub=1 ")
	}, 5*time.Second, 10*time.Millisecond)
	payload := strings.Repeat("x", 64<<10)
	for i := 0; i < 200; i++ { // 12.5 MiB, under the 32 MiB hard limit
		require.NoError(t, admin.Publish(ctx, "ch", payload).Err())
	}
	line = clientLine(t, admin, "slow")
	omem, _ := strconv.Atoi(clientField(t, line, "omem"))
	oll, _ := strconv.Atoi(clientField(t, line, "oll"))
	totMem, _ := strconv.Atoi(clientField(t, line, "tot-mem"))
	require.Greater(t, omem, 1<<20, line)
	require.Greater(t, oll, 0, line)
	require.Greater(t, totMem, omem, line)
	require.Equal(t, "rw", clientField(t, line, "events"))
}
