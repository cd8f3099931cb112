package server_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/kioku-db/kioku/server"
)

// Example starts an embedded server on a free loopback port, talks to it
// with go-redis and closes it.
func Example() {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rdb.Set(ctx, "greeting", "hello", 0)
	fmt.Println(rdb.Get(ctx, "greeting").Val())
	// Output: hello
}
