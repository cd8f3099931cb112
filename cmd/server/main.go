// Command server runs Kioku. It takes redis-server's command line: an
// optional config file path, then "--name value" options.
//
//	go run ./cmd/server
//	go run ./cmd/server /etc/redis/redis.conf --port 7000 --requirepass secret
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kioku-db/kioku/server"
	"github.com/kioku-db/kioku/server/config"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Println(config.VersionLine(server.KiokuVersion))
			return 0
		case "-h", "--help":
			fmt.Print(config.Usage)
			return 0
		}
	}
	reg, err := config.ParseArgs(args)
	if err != nil {
		fmt.Fprint(os.Stderr, err.Error())
		return 1
	}
	srv, err := server.New(server.Config{Registry: reg, Log: os.Stdout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "kioku: %v\n", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "Could not create server TCP listening socket %v\n", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Printf("Received %v scheduling shutdown...\n", s)
	case <-srv.Done():
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "kioku: %v\n", err)
	}
	fmt.Println("Kioku is now ready to exit, bye bye...")
	return 0
}
