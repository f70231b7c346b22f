package server

// Client quotas (package quota): after a request is served, its bytes
// (Produce: the request's size; Fetch: the response's record bytes) and
// its handling time (request_percentage) are recorded against the
// connection's resolved sensors. The largest throttle time goes in the
// response's throttle_time_ms and the connection reads nothing more until
// it has passed (Kafka mutes the channel, KIP-219). A connection with no
// quota in force costs an atomic load and a comparison (quota.Resolve).

import (
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/quota"
)

// quotaState is the server's quotas and throttle counters.
type quotaState struct {
	store *quota.Store
	mgr   *quota.Manager
	// throttled counts, per quota kind, the throttle time given (ms) and
	// the responses throttled.
	throttleMs, throttled [4]atomic.Int64
}

func (s *Server) openQuotas() error {
	st, err := quota.Open(s.fs, s.dataDir)
	if err != nil {
		return err
	}
	s.quota.store = st
	s.quota.mgr = quota.NewManager(st)
	s.quota.mgr.Now = s.now
	s.quota.mgr.W = quota.Window{Samples: s.cfg.QuotaWindowNum, WindowMs: int64(s.cfg.QuotaWindowSizeSeconds) * 1000}
	return nil
}

// QuotaThrottle is one quota kind's throttling so far.
type QuotaThrottle struct {
	Kind       string // Produce, Fetch, Request, ControllerMutation
	ThrottleMs int64  // total throttle time given
	Throttled  int64  // responses throttled
}

// QuotaThrottles reports the throttling per quota kind (metrics).
func (s *Server) QuotaThrottles() []QuotaThrottle {
	out := make([]QuotaThrottle, 0, 4)
	for k := quota.Produce; k <= quota.ControllerMutation; k++ {
		out = append(out, QuotaThrottle{Kind: k.String(), ThrottleMs: s.quota.throttleMs[k].Load(), Throttled: s.quota.throttled[k].Load()})
	}
	return out
}

// exemptFromRequestQuota: APIs Kafka does not throttle by
// request_percentage (ApiVersions and SASL come before a principal is
// known).
func exemptFromRequestQuota(key int16) bool {
	switch kmsg.Key(key) {
	case kmsg.ApiVersions, kmsg.SASLHandshake, kmsg.SASLAuthenticate:
		return true
	}
	return false
}

// applyQuotas records what the request cost against the connection's
// quotas, sets the response's throttle time and mutes the connection.
// frameLen is the request's size; r may be nil (acks=0).
func (s *Server) applyQuotas(c *conn, hdr header, kreq kmsg.Request, r reply, frameLen int) {
	m := s.quota.mgr
	if m == nil || exemptFromRequestQuota(hdr.key) {
		return
	}
	c.quota = m.Resolve(c.quota, c.principal, hdr.clientID)

	if !c.quota.Active() {
		return
	}
	var bw int64
	bwKind := quota.Produce
	switch kreq.(type) {
	case *kmsg.ProduceRequest:
		bw = m.Record(c.quota, quota.Produce, float64(frameLen))
	case *kmsg.FetchRequest:
		bwKind = quota.Fetch
		if f, ok := r.(*fetchReply); ok {
			var n int64
			for i := range f.resp.topics {
				for j := range f.resp.topics[i].parts {
					n += f.resp.topics[i].parts[j].recordBytes()
				}
			}
			bw = m.Record(c.quota, quota.Fetch, float64(n))
		}
	}
	mt := c.mutationThrottle
	c.mutationThrottle = 0
	var rq int64
	if r != nil { // Kafka records no request time for acks=0 produce
		nanos := sinceEpoch() - c.t.slotted
		rq = m.Record(c.quota, quota.Request, float64(nanos)*100/float64(time.Second))
	}

	t, kind := bw, bwKind
	if rq > t {
		t, kind = rq, quota.Request
	}
	if mt > t {
		t, kind = mt, quota.ControllerMutation
	}
	if t <= 0 {
		return
	}
	s.quota.throttleMs[kind].Add(t)
	s.quota.throttled[kind].Add(1)
	s.throttleReply(c, r, t)
}

// throttleReply puts ms in r's throttle_time_ms (the larger of it and what
// the handler set) and mutes c for ms.
func (s *Server) throttleReply(c *conn, r reply, ms int64) {
	ms = min(ms, int64(^uint32(0)>>1))
	switch r := r.(type) {
	case msgReply:
		if tr, ok := r.resp.(interface {
			kmsg.ThrottleResponse
			kmsg.SetThrottleResponse
		}); ok {
			if cur, _ := tr.Throttle(); int64(cur) < ms {
				tr.SetThrottle(int32(ms))
			}
		}
	case *fetchReply:
		r.resp.throttleMs = int32(ms)
	}
	until := time.Now().Add(time.Duration(ms) * time.Millisecond)
	if until.After(c.throttleUntil) {
		c.throttleUntil = until
	}
}

// waitThrottle holds the connection's reading until its throttle time has
// passed (the muted channel). It reports false when the server shuts down.
func (c *conn) waitThrottle() bool {
	d := time.Until(c.throttleUntil)
	c.throttleUntil = time.Time{}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.s.done:
		return false
	}
}

// mutationQuota is r's controller_mutation_rate quota (CreateTopics,
// CreatePartitions, DeleteTopics); nil without one. strict: the request's
// version lets the client handle THROTTLING_QUOTA_EXCEEDED (KIP-599).
func (s *Server) mutationQuota(r *request, strict bool) *quota.Mutation {
	m := s.quota.mgr
	if m == nil {
		return nil
	}
	r.c.quota = m.Resolve(r.c.quota, r.c.principal, r.hdr.clientID)
	return m.Mutation(r.c.quota, strict)
}

// endMutation hands the request's mutation throttle to applyQuotas.
func (c *conn) endMutation(q *quota.Mutation) { c.mutationThrottle = q.ThrottleMs() }

// errThrottlingQuota is a topic refused by a strict mutation quota.
var errThrottlingQuota = kerrf(kerr.ThrottlingQuotaExceeded, "The throttling quota has been exceeded.")

// connectionThrottled applies connection_creation_rate to a new
// connection: over the quota, it is held unread for the throttle time and
// then closed, as Kafka's acceptor closes a throttled socket after its
// delay. It reports whether c was throttled.
func (s *Server) connectionThrottled(c *conn) bool {
	m := s.quota.mgr
	if m == nil {
		return false
	}
	ms := m.ConnectionThrottleMs(connIP(c.remote))
	if ms <= 0 {
		return false
	}
	s.log.Debug("connection throttled: over connection_creation_rate", "remote", c.remote, "throttle_ms", ms)
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
	return true
}

// capFetchToQuota lowers a Fetch's max_bytes to what its consumer_byte_rate
// allows in quota.window.num-1 windows, as Kafka's handleFetchRequest
// (maxQuotaWindowBytes).
func (s *Server) capFetchToQuota(r *request, req *kmsg.FetchRequest) {
	m := s.quota.mgr
	if m == nil {
		return
	}
	r.c.quota = m.Resolve(r.c.quota, r.c.principal, r.hdr.clientID)
	if v, ok := m.MaxValueInWindow(r.c.quota, quota.Fetch); ok && v < float64(req.MaxBytes) {
		req.MaxBytes = int32(v)
	}
}
