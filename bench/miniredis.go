package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
)

// serveMiniredisArg is the hidden subcommand that turns this binary into a
// miniredis server. miniredis is a library, so running it in a child process
// of its own is the only way to measure its RSS like the other peers.
const serveMiniredisArg = "serve-miniredis"

// serveMiniredis runs miniredis on -addr until killed; returns an exit code.
func serveMiniredis(args []string) int {
	fs := flag.NewFlagSet(serveMiniredisArg, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "miniredis:", err)
		return 1
	}
	defer m.Close()
	fmt.Fprintln(os.Stderr, "miniredis listening on", m.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}
