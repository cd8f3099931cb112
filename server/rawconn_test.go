package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawConnPair is a loopback TCP connection whose accepted side is wrapped
// as clients' connections are.
func rawConnPair(t *testing.T) (srv net.Conn, cli net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cli, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	nc, err := ln.Accept()
	require.NoError(t, err)
	srv = wrapRawConn(nc)
	t.Cleanup(func() { srv.Close(); cli.Close() })
	if rawCallsAvailable {
		require.IsType(t, &rawConn{}, srv)
	}
	return srv, cli
}

func TestRawConnReadsWritesAndSeesEOF(t *testing.T) {
	srv, cli := rawConnPair(t)
	_, err := cli.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, err := srv.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "*1\r\n$4\r\nPING\r\n", string(buf[:n]))

	// More than the socket buffers hold: the write waits for the reader.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(cli, int64(len(big))))
		got <- b
	}()
	n, err = srv.Write(big)
	require.NoError(t, err)
	require.Equal(t, len(big), n)
	require.Equal(t, big, <-got)

	require.NoError(t, cli.Close())
	n, err = srv.Read(buf)
	require.Equal(t, 0, n)
	require.ErrorIs(t, err, io.EOF)
}

func TestRawConnDeadlineAndClose(t *testing.T) {
	srv, cli := rawConnPair(t)
	buf := make([]byte, 16)

	// A past deadline interrupts a read (blocking.go relies on it).
	require.NoError(t, srv.SetReadDeadline(time.Unix(1, 0)))
	_, err := srv.Read(buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, srv.SetReadDeadline(time.Time{}))
	_, err = cli.Write([]byte("x"))
	require.NoError(t, err)
	n, err := srv.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "x", string(buf[:n]))

	// Closing from another goroutine ends a read that waits (CLIENT KILL).
	done := make(chan error, 1)
	go func() {
		_, err := srv.Read(buf)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, srv.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("a read waiting on a closed connection did not return")
	}
	_, err = srv.Write([]byte("y"))
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestRawConnLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	require.Equal(t, a, wrapRawConn(a))
}

func TestRawConnReportsSocketErrors(t *testing.T) {
	srv, cli := rawConnPair(t)
	// A reset connection: the peer closes with unread data, which makes
	// the kernel send RST; writing then fails with an error, not a hang.
	_, err := srv.Write([]byte("unread"))
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, cli.(*net.TCPConn).SetLinger(0))
	require.NoError(t, cli.Close())
	time.Sleep(10 * time.Millisecond)
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		_, werr = srv.Write([]byte("more"))
		time.Sleep(time.Millisecond)
	}
	require.Error(t, werr)
	var sysErr *os.SyscallError
	if rawCallsAvailable {
		require.True(t, errors.As(werr, &sysErr), "error %v", werr)
	}
}
