package perf

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// splittableRandom is java.util.SplittableRandom, so that payloads are the
// ones Kafka's ProducerPerformance sends (SplittableRandom(0), a letter
// 'A' + nextInt(26) per byte).
type splittableRandom struct{ seed, gamma uint64 }

func newSplittableRandom(seed int64) *splittableRandom {
	return &splittableRandom{seed: uint64(seed), gamma: 0x9e3779b97f4a7c15}
}

func (r *splittableRandom) nextInt32() int32 {
	r.seed += r.gamma
	z := r.seed
	z = (z ^ (z >> 33)) * 0x62a9d9ed799705f5
	return int32(((z ^ (z >> 28)) * 0xcb24d0a5c88c35b3) >> 32)
}

// nextIntn is RandomSupport.boundedNextInt.
func (r *splittableRandom) nextIntn(bound int32) int32 {
	rv := r.nextInt32()
	m := bound - 1
	if bound&m == 0 {
		return rv & m
	}
	for u := int32(uint32(rv) >> 1); ; u = int32(uint32(r.nextInt32()) >> 1) {
		rv = u % bound
		if u+m-rv >= 0 { // no int32 overflow: accepted
			return rv
		}
	}
}

// javaRandom is java.util.Random, for EndToEndLatency's Random(0).
type javaRandom struct{ seed int64 }

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (seed ^ 0x5DEECE66D) & (1<<48 - 1)}
}

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*0x5DEECE66D + 0xB) & (1<<48 - 1)
	return int32(uint64(r.seed) >> (48 - bits))
}

func (r *javaRandom) nextIntn(bound int32) int32 {
	if bound&(bound-1) == 0 {
		return int32((int64(bound) * int64(r.next(31))) >> 31)
	}
	for {
		bits := r.next(31)
		val := bits % bound
		if bits-val+(bound-1) >= 0 {
			return val
		}
	}
}

// perfStats is ProducerPerformance.Stats: totals, a reporting window, and
// a sample of at most 500,000 latencies for the percentiles.
type perfStats struct {
	mu                       sync.Mutex
	now                      func() time.Time
	w                        io.Writer
	start, windowStart       time.Time
	interval                 time.Duration
	sampling                 int64
	latencies                []int
	iteration, count, bytes  int64
	maxLatency               int
	totalLatency             int64
	windowCount, windowBytes int64
	windowMax                int
	windowTotal              int64
}

func newPerfStats(numRecords int64, interval time.Duration, now func() time.Time, w io.Writer) *perfStats {
	sampling := numRecords / min(numRecords, 500000)
	t := now()
	return &perfStats{now: now, w: w, start: t, windowStart: t, interval: interval, sampling: sampling,
		latencies: make([]int, 0, numRecords/sampling+1)}
}

func (s *perfStats) record(latencyMs int, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(bytes)
	s.totalLatency += int64(latencyMs)
	s.maxLatency = max(s.maxLatency, latencyMs)
	s.windowCount++
	s.windowBytes += int64(bytes)
	s.windowTotal += int64(latencyMs)
	s.windowMax = max(s.windowMax, latencyMs)
	if s.iteration%s.sampling == 0 {
		s.latencies = append(s.latencies, latencyMs)
	}
	s.iteration++
	if now := s.now(); now.Sub(s.windowStart) >= s.interval {
		elapsed := float64(now.Sub(s.windowStart).Milliseconds())
		fmt.Fprintf(s.w, "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
			s.windowCount, 1000*float64(s.windowCount)/elapsed, 1000*float64(s.windowBytes)/elapsed/(1024*1024),
			float64(s.windowTotal)/float64(s.windowCount), float64(s.windowMax))
		s.windowStart, s.windowCount, s.windowBytes, s.windowTotal, s.windowMax = now, 0, 0, 0, 0
	}
}

// perfResult is the final report, also the --json output.
type perfResult struct {
	Records       int64   `json:"records"`
	Failed        int64   `json:"failed,omitempty"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	AvgLatencyMs  float64 `json:"avg_latency_ms"`
	MaxLatencyMs  float64 `json:"max_latency_ms"`
	P50Ms         int     `json:"p50_ms"`
	P95Ms         int     `json:"p95_ms"`
	P99Ms         int     `json:"p99_ms"`
	P999Ms        int     `json:"p999_ms"`
}

// percentiles is Kafka's: the sorted sample at index p*size.
func percentiles(lat []int, ps ...float64) []int {
	sort.Ints(lat)
	out := make([]int, len(ps))
	for i, p := range ps {
		if len(lat) > 0 {
			out[i] = lat[min(int(p*float64(len(lat))), len(lat)-1)]
		}
	}
	return out
}

func (s *perfStats) total() perfResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := math.Max(float64(s.now().Sub(s.start).Milliseconds()), 1)
	ps := percentiles(s.latencies, 0.5, 0.95, 0.99, 0.999)
	r := perfResult{Records: s.count, RecordsPerSec: 1000 * float64(s.count) / elapsed,
		MBPerSec: 1000 * float64(s.bytes) / elapsed / (1024 * 1024), MaxLatencyMs: float64(s.maxLatency),
		P50Ms: ps[0], P95Ms: ps[1], P99Ms: ps[2], P999Ms: ps[3]}
	if s.count > 0 {
		r.AvgLatencyMs = float64(s.totalLatency) / float64(s.count)
	}
	return r
}

func (r perfResult) kafkaLine() string {
	return fmt.Sprintf("%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		r.Records, r.RecordsPerSec, r.MBPerSec, r.AvgLatencyMs, r.MaxLatencyMs, r.P50Ms, r.P95Ms, r.P99Ms, r.P999Ms)
}

func writeJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

// javaDouble formats v as Java's Double.toString does for ordinary
// magnitudes (always a decimal point).
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// javaDateFormat converts the SimpleDateFormat letters Kafka's tools use
// (yyyy MM dd HH mm ss SSS) to a Go layout.
func javaDateFormat(f string) string {
	r := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05", "SSS", "\x00")
	return r.Replace(f)
}

// formatJavaDate formats t with a layout from javaDateFormat; Go has no
// milliseconds after a colon, so SSS is filled in here.
func formatJavaDate(t time.Time, layout string) string {
	return strings.ReplaceAll(t.Format(layout), "\x00", fmt.Sprintf("%03d", t.Nanosecond()/1e6))
}
