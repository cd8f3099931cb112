package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// PUBLISH fan-out: messages delivered per second to 1, 10 and 100
// subscribers of one channel. redis-benchmark cannot subscribe, so the
// harness does it: the subscribers (one connection each) read on their own
// goroutines while one publisher pipelines PUBLISH in batches; the clock
// runs from the first PUBLISH until the last subscriber has its last
// message. Every peer gets the same number of deliveries per measurement,
// so a run with 100 subscribers publishes a hundredth of the messages.

// publishSubscribers are the fan-outs measured.
var publishSubscribers = []int{1, 10, 100}

const (
	publishDeliveries = 400000 // messages received, summed over subscribers
	publishBatch      = 100    // PUBLISH commands per pipelined write
	publishPayload    = 32     // bytes per message
	publishChannel    = "bench:channel"
)

// publishResult is one peer's delivery rate at one fan-out.
type publishResult struct {
	Peer        string    `json:"peer"`
	Subscribers int       `json:"subscribers"`
	Rate        float64   `json:"messages_per_second"` // median over rounds
	Samples     []float64 `json:"samples"`
	Error       string    `json:"error,omitempty"`
}

// measurePublish measures every peer in a fresh process per round, the
// peer order rotating each round as for throughput.
func measurePublish(ctx context.Context, e *env, cfg *config, res *results) []string {
	samples := map[string]map[int][]float64{}
	errs := map[string]string{}
	var failures []string
	for round := 0; round < cfg.rounds && ctx.Err() == nil; round++ {
		for _, peer := range rotate(cfg.peers, round) {
			if ctx.Err() != nil {
				break
			}
			rates, err := publishPeer(ctx, e, peer)
			if err != nil {
				errs[peer] = err.Error()
				failures = append(failures, fmt.Sprintf("%s: publish: %v", peer, err))
			}
			for n, r := range rates {
				if samples[peer] == nil {
					samples[peer] = map[int][]float64{}
				}
				samples[peer][n] = append(samples[peer][n], r)
			}
		}
	}
	for _, peer := range cfg.peers {
		for _, n := range publishSubscribers {
			pr := publishResult{Peer: peer, Subscribers: n, Samples: samples[peer][n]}
			if len(pr.Samples) > 0 {
				pr.Rate = median(pr.Samples)
			} else {
				pr.Error = errs[peer]
			}
			res.Publish = append(res.Publish, pr)
		}
	}
	return failures
}

// publishPeer starts peer once and measures each fan-out on it.
func publishPeer(ctx context.Context, e *env, peer string) (map[int]float64, error) {
	s, err := startServer(ctx, e, peer)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	rates := map[int]float64{}
	for _, n := range publishSubscribers {
		logf("publish: %s, %d subscriber(s)", peer, n)
		rate, err := publishRate(ctx, s.addr(), n)
		if err != nil {
			return rates, fmt.Errorf("%d subscribers: %v", n, err)
		}
		logf("  %.0f messages/s delivered", rate)
		rates[n] = rate
	}
	return rates, nil
}

// publishRate measures one fan-out: subscribers connections subscribed to
// one channel, and the deliveries per second they see.
func publishRate(ctx context.Context, addr string, subscribers int) (float64, error) {
	subs, err := subscribeAll(ctx, addr, subscribers)
	defer func() {
		for _, c := range subs {
			c.close()
		}
	}()
	if err != nil {
		return 0, err
	}
	pub, err := dialRESP(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer pub.close()
	messages := publishDeliveries / subscribers
	start := time.Now()
	received := receiveAll(subs, messages)
	if err := publishMessages(pub, messages); err != nil {
		return 0, err
	}
	if err := <-received; err != nil {
		return 0, err
	}
	return float64(messages*subscribers) / time.Since(start).Seconds(), nil
}

// subscribeAll opens n connections subscribed to the channel, each
// confirmed before it returns.
func subscribeAll(ctx context.Context, addr string, n int) ([]*respConn, error) {
	var subs []*respConn
	for i := 0; i < n; i++ {
		c, err := dialRESP(ctx, addr)
		if err != nil {
			return subs, err
		}
		subs = append(subs, c)
		r, err := c.do("SUBSCRIBE", publishChannel)
		if err != nil {
			return subs, err
		}
		if r.kind != '*' || len(r.elems) != 3 {
			return subs, fmt.Errorf("unexpected SUBSCRIBE reply %v", r)
		}
	}
	return subs, nil
}

// receiveAll has every subscriber read messages messages and reports the
// first failure (or nil) once all are done.
func receiveAll(subs []*respConn, messages int) <-chan error {
	done := make(chan error, 1)
	var wg sync.WaitGroup
	var once sync.Once
	for _, c := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readMessages(c, messages); err != nil {
				once.Do(func() { done <- err })
			}
		}()
	}
	go func() {
		wg.Wait()
		once.Do(func() { done <- nil })
	}()
	return done
}

func readMessages(c *respConn, messages int) error {
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	for i := 0; i < messages; i++ {
		r, err := readReply(c.r)
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("subscriber disconnected after %d messages", i)
			}
			return err
		}
		if r.kind != '*' || len(r.elems) != 3 || r.elems[0].str != "message" {
			return fmt.Errorf("unexpected message %v", r)
		}
	}
	return nil
}

// publishMessages pipelines messages PUBLISH commands in batches.
func publishMessages(pub *respConn, messages int) error {
	payload := strings.Repeat("m", publishPayload)
	var batch []byte
	for i := 0; i < publishBatch; i++ {
		batch = appendCommand(batch, "PUBLISH", publishChannel, payload)
	}
	for sent := 0; sent < messages; sent += publishBatch {
		n := min(publishBatch, messages-sent)
		buf := batch
		if n < publishBatch {
			buf = nil
			for i := 0; i < n; i++ {
				buf = appendCommand(buf, "PUBLISH", publishChannel, payload)
			}
		}
		if err := pub.pipeline(buf, n); err != nil {
			return err
		}
	}
	return nil
}

// printPublish prints the delivery rates and Kioku's ratios.
func printPublish(w io.Writer, peers []string, rs []publishResult) {
	fmt.Fprintf(w, "\nPUBLISH fan-out (messages delivered/s, %d deliveries, %d-byte payload; median over rounds)\n",
		publishDeliveries, publishPayload)
	vs := ratioPeers(peers)
	header := []string{"subscribers"}
	for _, p := range peers {
		header = append(header, p+" msg/s")
	}
	for _, p := range vs {
		header = append(header, "kioku/"+p)
	}
	table := [][]string{header}
	for _, n := range publishSubscribers {
		rates := map[string]float64{}
		cells := []string{fmt.Sprint(n)}
		for _, p := range peers {
			i := slices.IndexFunc(rs, func(r publishResult) bool { return r.Peer == p && r.Subscribers == n })
			switch {
			case i < 0:
				cells = append(cells, "-")
			case rs[i].Error != "":
				cells = append(cells, "ERR")
			default:
				rates[p] = rs[i].Rate
				cells = append(cells, fmt.Sprintf("%.0f", rs[i].Rate))
			}
		}
		for _, p := range vs {
			cells = append(cells, ratioCell(ratio(rates, peerKioku, p)))
		}
		table = append(table, cells)
	}
	printTable(w, table)
}
