package server

// Fetch: v4-18
//
// Reads come first, the response is written after (fetch_write.go): each
// partition's Read yields whole batches as file slices (KIP-74: the first
// non-empty partition always gets its first batch whole, even over
// MaxBytes or PartitionMaxBytes; later partitions get only what fits).
// read_committed (IsolationLevel 1) reads up to the last stable offset and
// answers the aborted transactions of what it read from the segments'
// transaction indexes (partition.ReadIsolated), an empty non-null list
// when there are none: the record bytes still go by sendfile. Every
// answer carries the partition's LSO (for read_uncommitted, the high
// watermark until the log's producer state is first read after a clean
// start).
//
// Long poll: when fewer than MinBytes are readable and no partition has an
// error, the fetch waits on every partition's append signal until enough
// bytes arrive or MaxWaitMillis passes (or the server shuts down).
//
// Fetch sessions (KIP-227) are supported (fetch_session.go). An incremental
// fetch reads the session's partitions in the session's order and moves
// those that returned records to its end, as Kafka does, so that the
// fetch's MaxBytes goes round the partitions from one fetch to the next.
//
// v0-v3 are refused with UNSUPPORTED_VERSION in every partition: they
// need down-conversion to message format 0/1, which Kafka 4 dropped too.
//
// Version notes:
//   - v4: IsolationLevel, LastStableOffset, AbortedTransactions
//   - v5: LogStartOffset
//   - v7: fetch sessions, ForgottenTopics, top-level ErrorCode
//   - v9: CurrentLeaderEpoch (ours is always 0)
//   - v11: Rack, PreferredReadReplica (-1)
//   - v12: flexible; LastFetchedEpoch (no divergence: one leader epoch)
//   - v13: topic IDs
//   - v15: ReplicaState; v17: ReplicaDirectoryID; v18: HighWatermark tag

import (
	"reflect"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/topic"
)

var (
	errSessionNotFound = kerr.FetchSessionIDNotFound
	errSessionEpoch    = kerr.InvalidFetchSessionEpoch
)

// wantPart is one partition a fetch reads.
type wantPart struct {
	key         sessionKey
	fetchOffset int64
	maxBytes    int32
	leaderEpoch int32        // CurrentLeaderEpoch; -1 unknown
	sess        *sessionPart // nil: sessionless
}

func (s *Server) handleFetch(r *request) (reply, error) {
	req := r.kreq.(*kmsg.FetchRequest)
	s.capFetchToQuota(r, req) // quotas.go: consumer_byte_rate bounds max_bytes
	now := s.now()

	var (
		sess *fetchSession
		want []wantPart
		open bool // a full fetch that opens a session once it is answered
	)
	if req.Version >= 7 {
		switch req.SessionEpoch {
		case -1: // a sessionless full fetch, closing SessionID if any
			if req.SessionID != 0 {
				s.sessions.remove(req.SessionID)
			}
		case 0: // a full fetch opening a new session
			if req.SessionID != 0 {
				s.sessions.remove(req.SessionID)
			}
			open = true
		default:
			var err error
			if sess, err = s.sessions.acquire(req.SessionID, req.SessionEpoch); err != nil {
				return &fetchReply{s: s, resp: &fetchResponse{version: req.Version, errCode: errCode(err)}}, nil
			}
			defer s.sessions.release(sess)
		}
	}

	full := sess == nil
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			k := sessionKey{topic: rt.Topic, partition: rp.Partition}
			if req.Version >= 13 {
				k = sessionKey{id: rt.TopicID, partition: rp.Partition}
			}
			w := wantPart{key: k, fetchOffset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes, leaderEpoch: rp.CurrentLeaderEpoch}
			if sess != nil {
				w.sess = sess.upsert(k, rp.FetchOffset, rp.PartitionMaxBytes)
			}
			if full {
				want = append(want, w)
			}
		}
	}
	if sess != nil {
		for _, ft := range req.ForgottenTopics {
			for _, p := range ft.Partitions {
				k := sessionKey{topic: ft.Topic, partition: p}
				if req.Version >= 13 {
					k = sessionKey{id: ft.TopicID, partition: p}
				}
				sess.forget(k)
			}
		}
	}
	if sess != nil && len(sess.parts) == 0 {
		// Every partition forgotten: Kafka closes the session and answers
		// sessionless, with what the request named.
		s.sessions.remove(sess.id)
		sess, full = nil, true
		for _, rt := range req.Topics {
			for _, rp := range rt.Partitions {
				k := sessionKey{topic: rt.Topic, partition: rp.Partition}
				if req.Version >= 13 {
					k = sessionKey{id: rt.TopicID, partition: rp.Partition}
				}
				want = append(want, wantPart{key: k, fetchOffset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes, leaderEpoch: rp.CurrentLeaderEpoch})
			}
		}
	}
	if sess != nil {
		s.sessions.touch(sess, now)
		// Partitions the request named carry their leader epoch; the others -1.
		epochs := make(map[sessionKey]int32)
		for _, rt := range req.Topics {
			for _, rp := range rt.Partitions {
				k := sessionKey{topic: rt.Topic, partition: rp.Partition}
				if req.Version >= 13 {
					k = sessionKey{id: rt.TopicID, partition: rp.Partition}
				}
				epochs[k] = rp.CurrentLeaderEpoch
			}
		}
		for _, p := range sess.parts {
			e, ok := epochs[p.key]
			if !ok {
				e = -1
			}
			want = append(want, wantPart{key: p.key, fetchOffset: p.fetchOffset, maxBytes: p.maxBytes, leaderEpoch: e, sess: p})
		}
	}

	maxWait := time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond
	deadline := now.Add(maxWait)
	var timer *time.Timer
	for {
		waits := s.waitChans(want, req.Version)
		parts, total, anyErr := s.readParts(r.c, want, req)
		if total >= int64(req.MinBytes) || anyErr || len(want) == 0 || maxWait == 0 || !s.now().Before(deadline) {
			if timer != nil {
				timer.Stop()
			}
			return s.fetchAnswer(req, s.maybeOpen(req, open, want, sess), full, want, parts), nil
		}
		s.releaseParts(parts)
		if timer == nil {
			timer = time.NewTimer(deadline.Sub(s.now()))
		}
		// A waiting fetch gives back its queued.max.requests slot and its
		// frame's queued.max.request.bytes, as Kafka's fetch purgatory
		// sits outside its request queue: slots held by long polls could
		// otherwise keep out the produce they wait for (queue.go).
		r.c.slot.release()
		r.c.t.startRemote()
		s.reqStats.longPolls.Add(1)
		woke := waitAny(waits, timer.C, s.done)
		s.reqStats.longPolls.Add(-1)
		r.c.t.endRemote()
		if !woke {
			// Timer fired or shutting down: one last read answers.
			parts, _, _ := s.readParts(r.c, want, req)
			return s.fetchAnswer(req, s.maybeOpen(req, open, want, sess), full, want, parts), nil
		}
	}
}

// maybeOpen opens the session a full fetch asked for, once it is read, as
// Kafka's FullFetchContext does: it remembers every partition of want
// (want[i].sess is set; fetchAnswer records what the client is told). It
// returns sess unchanged when open is false, and nil when the cache has no
// room (fetch_session.go): the answer then carries session ID 0.
func (s *Server) maybeOpen(req *kmsg.FetchRequest, open bool, want []wantPart, sess *fetchSession) *fetchSession {
	if !open {
		return sess
	}
	replica := req.ReplicaID
	if req.Version >= 15 {
		replica = req.ReplicaState.ID
	}
	sess = s.sessions.create(s.now(), replica >= 0, len(want))
	if sess == nil {
		return nil
	}
	for i := range want {
		want[i].sess = sess.upsert(want[i].key, want[i].fetchOffset, want[i].maxBytes)
	}
	s.sessions.release(sess) // fetchAnswer runs before any request can name it
	return sess
}

// waitAny waits until one of waits is closed (true), or timeout or done
// fires (false).
func waitAny(waits []<-chan struct{}, timeout <-chan time.Time, done <-chan struct{}) bool {
	if len(waits) == 1 {
		select {
		case <-waits[0]:
			return true
		case <-timeout:
			return false
		case <-done:
			return false
		}
	}
	cases := make([]reflect.SelectCase, 0, len(waits)+2)
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timeout)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(done)})
	for _, w := range waits {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w)})
	}
	chosen, _, _ := reflect.Select(cases)
	return chosen >= 2
}

// resolve returns the log of a wanted partition, or the error to answer.
func (s *Server) resolve(k sessionKey, version int16) (*partition.Log, error) {
	_, l, err := s.resolveTopic(k, version)
	return l, err
}

// resolveTopic is resolve that also returns the partition's topic.
func (s *Server) resolveTopic(k sessionKey, version int16) (*topic.Topic, *partition.Log, error) {
	if version >= 13 {
		t, ok := s.topics.GetByID(k.id)
		if !ok {
			return nil, nil, kerr.UnknownTopicID
		}
		if k.partition < 0 || int(k.partition) >= len(t.Partitions) {
			return nil, nil, kerr.UnknownTopicOrPartition
		}
		return t, t.Partitions[k.partition], nil
	}
	t, ok := s.topics.Get(k.topic)
	if !ok || k.partition < 0 || int(k.partition) >= len(t.Partitions) {
		return nil, nil, kerr.UnknownTopicOrPartition
	}
	return t, t.Partitions[k.partition], nil
}

// waitChans returns the append signals of the wanted partitions; taken
// before reading, so an append between the read and the wait is not missed.
func (s *Server) waitChans(want []wantPart, version int16) []<-chan struct{} {
	var out []<-chan struct{}
	for _, w := range want {
		if l, err := s.resolve(w.key, version); err == nil {
			out = append(out, l.Wait())
		}
	}
	return out
}

// readParts reads every wanted partition, in order, with the KIP-74 size
// rules. It returns one fetchPart per wanted partition, the bytes read and
// whether any partition has an error.
func (s *Server) readParts(c *conn, want []wantPart, req *kmsg.FetchRequest) ([]fetchPart, int64, bool) {
	parts := make([]fetchPart, len(want))
	remaining := int64(req.MaxBytes)
	if req.Version < 3 {
		remaining = 1<<31 - 1
	}
	minOne := true
	var total, copied int64
	anyErr := false
	for i, w := range want {
		p := &parts[i]
		p.partition = w.key.partition
		p.aborted = req.IsolationLevel == 1
		// Past pressureRequestMax copied, offsets only (fetch_pressure.go).
		err := s.readPart(c, w, req.Version, min(int64(w.maxBytes), remaining), minOne, copied >= pressureRequestMax, p)
		if err == nil && p.read != nil && p.read.Bytes <= pressureCopyMax && underPressure() {
			copied += p.read.Bytes
			err = unpin(p.read)
		}
		if err != nil {
			anyErr = true
			p.errCode = errCode(err)
			p.hw, p.lso, p.logStart = -1, -1, -1
			continue
		}
		if n := p.recordBytes(); n > 0 {
			minOne = false
			remaining -= n
			total += n
		}
	}
	return parts, total, anyErr
}

func (s *Server) readPart(c *conn, w wantPart, version int16, limit int64, minOne, offsetsOnly bool, p *fetchPart) error {
	// READ on the topic, checked before its existence (by name) or after
	// the ID resolved (v13+), as Kafka's.
	if version < 13 && !s.authorize(c, opRead, rtTopic, w.key.topic) {
		return kerr.TopicAuthorizationFailed
	}
	t, l, err := s.resolveTopic(w.key, version)
	if err != nil {
		return err
	}
	if version >= 13 && !s.authorize(c, opRead, rtTopic, t.Name) {
		return kerr.TopicAuthorizationFailed
	}
	p.counters = t.Counters
	if w.leaderEpoch > 0 {
		return kerr.UnknownLeaderEpoch // ours is 0: the client is ahead
	}
	if offsetsOnly { // touching no segment
		p.hw, p.lso, p.logStart = l.HighWatermark(), l.LastStableOffset(), l.LogStartOffset()
		if w.fetchOffset < p.logStart || w.fetchOffset > p.hw {
			return kerr.OffsetOutOfRange
		}
		return nil
	}
	rr, err := l.ReadIsolated(w.fetchOffset, int(max(limit, 1)), p.aborted)
	if err != nil {
		return err
	}
	p.hw, p.lso, p.logStart = rr.HighWatermark, rr.LastStableOffset, rr.LogStartOffset
	if rr.Bytes == 0 || (!minOne && rr.Bytes > limit) {
		rr.Release()
		return nil
	}
	p.read = rr
	s.heldReads.Add(1)
	return nil
}

func (s *Server) releaseParts(parts []fetchPart) {
	for i := range parts {
		if parts[i].read != nil {
			parts[i].read.Release()
			parts[i].read = nil
			s.heldReads.Add(-1)
		}
	}
}

// fetchAnswer builds the reply from the final reads. An incremental
// session fetch answers only partitions with something new, and every
// answered session partition remembers what the client was told.
func (s *Server) fetchAnswer(req *kmsg.FetchRequest, sess *fetchSession, full bool, want []wantPart, parts []fetchPart) reply {
	resp := &fetchResponse{version: req.Version}
	if sess != nil {
		resp.sessionID = sess.id
	}
	for i, w := range want {
		p := parts[i]
		if p.read != nil {
			p.countOut()
		}
		if sp := w.sess; sp != nil {
			changed := p.errCode != 0 || p.read != nil || p.hw != sp.hw || p.lso != sp.lso || p.logStart != sp.logStart
			if !full && !changed {
				continue
			}
			sp.hw, sp.lso, sp.logStart = p.hw, p.lso, p.logStart
		}
		n := len(resp.topics)
		if n == 0 || resp.topics[n-1].name != w.key.topic || resp.topics[n-1].id != w.key.id {
			resp.topics = append(resp.topics, fetchTopic{name: w.key.topic, id: w.key.id})
			n++
		}
		resp.topics[n-1].parts = append(resp.topics[n-1].parts, p)
	}
	if sess != nil && !full {
		sess.rotate(want, parts)
	}
	// Partitions left out of an incremental answer hold no reads (they
	// had none), so nothing leaks.
	return &fetchReply{s: s, resp: resp}
}

// refuseFetch answers Fetch v0-v3: UNSUPPORTED_VERSION in every partition.
func refuseFetch(kreq kmsg.Request) kmsg.Response {
	req := kreq.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = kerr.UnsupportedVersion.Code
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
