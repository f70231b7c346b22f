package server

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Request metrics, read by package metrics at scrape time. The request
// path only adds to atomics in fixed arrays indexed by API key, version,
// phase and bucket: no map, no lock, no allocation (the first error of an
// API key and version allocates that pair's error table once).
//
// A request's time splits as Kafka's RequestMetrics splits it:
//
//	queue           the frame is read whole (conn.readFrame returned) ... it has a queued.max.requests slot (queue.go)
//	local           the handler runs, less remote
//	remote          the handler waits on others: a Fetch's long poll (fetch.go), a group request in the coordinator (group_coordinator.go)
//	response_queue  the reply is ready ... the write loop starts writing it (0 when the read loop writes it itself)
//	response_send   writing the reply
//	total           the frame is read whole ... the reply is written (or, without a reply, handled)

// Phases of a request, the indexes of APIStats.Latency.
const (
	PhaseQueue = iota
	PhaseLocal
	PhaseRemote
	PhaseResponseQueue
	PhaseResponseSend
	PhaseTotal
	NumPhases
)

// PhaseNames names the phases, by index.
var PhaseNames = [NumPhases]string{"queue", "local", "remote", "response_queue", "response_send", "total"}

// LatencyBuckets is the number of latency histogram buckets: bucket i
// counts durations up to 2^i microseconds (1 µs ... 2^(LatencyBuckets-2)
// µs, about 8.4 s), the last one everything longer.
const LatencyBuckets = 25

// LatencyBound is the upper bound of bucket i in seconds (+Inf for the
// last).
func LatencyBound(i int) float64 {
	if i >= LatencyBuckets-1 {
		return inf
	}
	return float64(uint64(1)<<i) / 1e6
}

var inf = func() float64 { var z float64; return 1 / z }()

// maxStatVersion bounds the versions counted per API key (every key kmsg
// knows has fewer); higher versions are counted as this one.
const maxStatVersion = 31

// Error codes counted per API key and version: -1 (UNKNOWN_SERVER_ERROR)
// up to errCodeSpan-2; anything outside counts as -1.
const errCodeSpan = 160

type errTable [errCodeSpan]atomic.Int64

// histogram is a latency histogram of atomics.
type histogram struct {
	counts [LatencyBuckets]atomic.Uint64
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := bits.Len64(uint64(d / time.Microsecond))
	if i >= LatencyBuckets {
		i = LatencyBuckets - 1
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// apiStats are one API key's counters.
type apiStats struct {
	requests [maxStatVersion + 1]atomic.Int64
	errors   [maxStatVersion + 1]atomic.Pointer[errTable]
	phases   [NumPhases]histogram
}

// serverStats are the request counters of a Server.
type serverStats struct {
	apis      []apiStats   // by API key, len(handlers)
	longPolls atomic.Int64 // Fetch requests waiting in their long poll now
}

func newServerStats() *serverStats {
	return &serverStats{apis: make([]apiStats, len(handlers))}
}

// api returns key's counters, or nil for a key past the handler table.
func (st *serverStats) api(key int16) *apiStats {
	if key < 0 || int(key) >= len(st.apis) {
		return nil
	}
	return &st.apis[key]
}

func statVersion(v int16) int {
	return int(min(max(v, 0), maxStatVersion))
}

// countError counts one error code in a response of key at version.
func (a *apiStats) countError(version int16, code int16) {
	if code == 0 || a == nil {
		return
	}
	i := int(code) + 1
	if i < 0 || i >= errCodeSpan {
		i = 0
	}
	p := &a.errors[statVersion(version)]
	t := p.Load()
	if t == nil {
		p.CompareAndSwap(nil, new(errTable))
		t = p.Load()
	}
	t[i].Add(1)
}

// timing is what a request's phases are measured from, carried from the
// read loop to whichever goroutine writes the reply.
type timing struct {
	api           *apiStats     // nil: not counted (a key past the table)
	read, slotted time.Duration // since epoch: the frame was read whole; it got its slot
	handled       time.Duration // since epoch: the handler returned
	remote        time.Duration // of the handler's time, spent waiting on others
	remoteStart   time.Duration // since epoch, while a remote wait runs; 0 otherwise
}

// epoch is the origin of the durations timing holds (time.Since on a
// monotonic time reads only the monotonic clock).
var epoch = time.Now()

func sinceEpoch() time.Duration { return time.Since(epoch) }

// startRemote and endRemote bracket a wait on other requests (a long
// poll, a rebalance): that time is remote, not local.
func (t *timing) startRemote() { t.remoteStart = sinceEpoch() }

func (t *timing) endRemote() {
	if t.remoteStart != 0 {
		t.remote += sinceEpoch() - t.remoteStart
		t.remoteStart = 0
	}
}

// observe records a finished request: its reply (if any) was queued at
// handled, its write began at writeStart and ended at writeEnd.
func (t *timing) observe(writeStart, writeEnd time.Duration) {
	a := t.api
	if a == nil {
		return
	}
	local := t.handled - t.slotted - t.remote
	a.phases[PhaseQueue].observe(t.slotted - t.read)
	a.phases[PhaseLocal].observe(local)
	a.phases[PhaseRemote].observe(t.remote)
	a.phases[PhaseResponseQueue].observe(writeStart - t.handled)
	a.phases[PhaseResponseSend].observe(writeEnd - writeStart)
	a.phases[PhaseTotal].observe(writeEnd - t.read)
}

// countReplyErrors counts the error codes of a reply: every ErrorCode
// field of a kmsg response (errorcounts.go), a Fetch reply's partitions.
func (a *apiStats) countReplyErrors(version int16, r reply) {
	if a == nil || r == nil {
		return
	}
	switch r := r.(type) {
	case msgReply:
		countResponseErrors(r.resp, func(code int16) { a.countError(version, code) })
	case *fetchReply:
		a.countError(version, r.resp.errCode)
		for i := range r.resp.topics {
			for j := range r.resp.topics[i].parts {
				a.countError(version, r.resp.topics[i].parts[j].errCode)
			}
		}
	case rawReply:
		a.countError(version, kerr.UnsupportedVersion.Code)
	}
}

// APIStats are the counters of one API key.
type APIStats struct {
	Key      int16
	Name     string         // kmsg's name of the key, e.g. Produce
	Requests []VersionCount // requests per version, versions with none left out
	Errors   []ErrorCount   // error codes in responses, per version and code (0 left out)
	Latency  [NumPhases]Histogram
}

// VersionCount is how many requests of one version were served.
type VersionCount struct {
	Version int16
	Count   int64
}

// ErrorCount is how many times one error code was answered to requests
// of one version (counted per partition where a response has them, as
// Kafka's ErrorsPerSec counts).
type ErrorCount struct {
	Version int16
	Code    int16
	Count   int64
}

// Histogram is a latency histogram: Counts[i] durations fell in bucket i
// (LatencyBound), not cumulative.
type Histogram struct {
	Counts     [LatencyBuckets]uint64
	Count      uint64
	SumSeconds float64
}

// APIStats returns the counters of every API key that has had requests,
// by key.
func (s *Server) APIStats() []APIStats {
	var out []APIStats
	for key := range s.reqStats.apis {
		a := &s.reqStats.apis[key]
		var as APIStats
		for v := range a.requests {
			if n := a.requests[v].Load(); n > 0 {
				as.Requests = append(as.Requests, VersionCount{Version: int16(v), Count: n})
			}
			if t := a.errors[v].Load(); t != nil {
				for i := range t {
					if n := t[i].Load(); n > 0 {
						as.Errors = append(as.Errors, ErrorCount{Version: int16(v), Code: int16(i - 1), Count: n})
					}
				}
			}
		}
		if len(as.Requests) == 0 {
			continue
		}
		as.Key, as.Name = int16(key), kmsg.NameForKey(int16(key))
		for p := range a.phases {
			h := &a.phases[p]
			for i := range h.counts {
				n := h.counts[i].Load()
				as.Latency[p].Counts[i] = n
				as.Latency[p].Count += n
			}
			as.Latency[p].SumSeconds = float64(h.sumNs.Load()) / 1e9
		}
		out = append(out, as)
	}
	return out
}
