package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts latencies in log-linear buckets (as HdrHistogram does):
// values below 32 ns each have a bucket of their own, and every power of
// two above that is split into 32 equal buckets, so a bucket's upper
// bound is at most 1/32 (3.1%) above any value in it. The maximum is
// kept exactly. Fixed size, no allocation per sample.
type histogram struct {
	counts [histBuckets]int64
	n      int64
	max    int64 // nanoseconds
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	// histBuckets covers every non-negative int64 (the largest,
	// 1<<63 - 1, lands in bucket histSub*(62-histSubBits) + 2*histSub - 1).
	histBuckets = histSub * (64 - histSubBits + 1)
)

func histIndex(v int64) int {
	if v < histSub {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return histSub*shift + int(v>>shift)
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	m := int64(i%histSub + histSub)
	return (m+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	v := max(d.Nanoseconds(), 0)
	h.counts[histIndex(v)]++
	h.n++
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the smallest bucket upper bound at or below which at least
// q of the samples lie (capped at the exact maximum); 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return time.Duration(min(histUpper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// latencySummary is what the report shows of a histogram, in milliseconds.
type latencySummary struct {
	Requests int64   `json:"requests"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p99_9_ms"`
	Max      float64 `json:"max_ms"`
}

func (h *histogram) summary() latencySummary {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return latencySummary{Requests: h.n, P50: ms(h.quantile(0.50)), P99: ms(h.quantile(0.99)),
		P999: ms(h.quantile(0.999)), Max: ms(time.Duration(h.max))}
}
