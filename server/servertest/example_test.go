package servertest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kioku-db/kioku/server/servertest"
)

// Example shows a TTL test that needs no sleeping: the server's clock is
// moved past the key's expiry.
func Example() {
	t := &testing.T{} // in a real test, the test's own *testing.T
	srv := servertest.Start(t)
	defer srv.Close()

	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rdb.Set(ctx, "session", "data", time.Hour)
	srv.FastForward(2 * time.Hour)
	_, err := rdb.Get(ctx, "session").Result()
	fmt.Println(err == redis.Nil)
	// Output: true
}
