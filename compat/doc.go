// Package compat tests Kioku from the outside, over TCP, against the
// specification: a real Redis 7.0 redis-server.
//
// The differential tests (diff_*_test.go) send the same command sequences to
// both servers with a raw RESP client and compare the replies byte for byte;
// the few replies that legitimately differ (TTLs counting down, random
// results, connection ids) carry an explicit matcher next to the command.
// seeds_test.go runs the usage patterns of the seed articles through go-redis
// v9 in RESP2 and RESP3.
//
// Build tag redisonly replaces Kioku by a second redis-server, which
// self-tests the harness and the cases while the server does not build:
//
//	go test -tags redisonly ./compat/
package compat
