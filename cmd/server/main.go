// Command server runs Kioku. It takes redis-server's command line: an
// optional config file path, then "--name value" options.
//
//	go run ./cmd/server
//	go run ./cmd/server /etc/redis/redis.conf --port 7000 --requirepass secret
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/kioku-db/kioku/server"
	"github.com/kioku-db/kioku/server/config"
)

// defaultGCPercent bounds the heap at 1.5x the live data instead of Go's
// default 2x: a Redis user expects the process to stay near its dataset's
// size (Redis's own overhead is allocator fragmentation, ~1.1x). The GC
// runs more often; for a small heap tuneGC raises the percentage. GOGC in
// the environment overrides both.
const defaultGCPercent = 50

// defaultProcs leaves one core to the kernel's network stack and to the
// clients, which in development run on the same machine: on two cores,
// GET at -P 16 went from 449k to 578k requests/s with one processor
// instead of two. GOMAXPROCS in the environment overrides it.
func defaultProcs() int { return max(1, runtime.NumCPU()-1) }

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
		tuneGC() // gc.go
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(defaultProcs())
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Like redis-server, -v and -h count only as the first argument, and
	// the usage goes to stderr with status 1.
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			fmt.Println(config.VersionLine(server.KiokuVersion))
			return 0
		case "-h", "--help":
			fmt.Fprint(os.Stderr, config.Usage)
			return 1
		}
	}
	reg, err := config.ParseArgs(args)
	if err != nil {
		var openErr *config.OpenError
		if errors.As(err, &openErr) {
			// Redis logs this one on stdout, as a log line.
			fmt.Println(err.Error())
		} else {
			fmt.Fprint(os.Stderr, err.Error())
		}
		return 1
	}
	srv, err := server.New(server.Config{Registry: reg, Log: os.Stdout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "kioku: %v\n", err)
		return 1
	}
	// Handle signals before listening: a client that got an answer may
	// send SIGTERM at once, and it must find the handler in place.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if err := srv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "Could not create server TCP listening socket %v\n", err)
		return 1
	}
	waitForShutdown(srv, sig)
	if err := srv.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "kioku: %v\n", err)
	}
	fmt.Println("Kioku is now ready to exit, bye bye...")
	return 0
}

// waitForShutdown returns when the server was shut down (SHUTDOWN) or a
// signal asked for it and the final save, if any, succeeded; a failed save
// keeps the server running, as Redis does.
func waitForShutdown(srv *server.Server, sig <-chan os.Signal) {
	for {
		select {
		case s := <-sig:
			name := "SIGTERM"
			if s == syscall.SIGINT {
				name = "SIGINT"
			}
			fmt.Printf("Received %s scheduling shutdown...\n", name)
			if srv.ShutdownOnSignal(s == syscall.SIGINT) {
				return
			}
		case <-srv.Done():
			return
		}
	}
}
