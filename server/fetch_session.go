package server

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Fetch sessions (KIP-227). A client opens a session with a full fetch
// (SessionID 0, SessionEpoch 0); the broker answers with a session ID and
// remembers the partitions. Later fetches (the same ID, the next epoch) name
// only partitions whose fetch position changed, plus ForgottenTopics, and
// the answer lists only partitions with something new: records, an error,
// or a changed high watermark, last stable offset or log start offset.
// SessionEpoch -1 closes the session (the fetch itself is a sessionless
// full fetch); so does an incremental fetch that forgets every partition.
// A session is opened once its full fetch has been read, as Kafka's
// FullFetchContext does, with the request's partitions in the request's
// order; partitions an incremental fetch adds go to the end, and those an
// incremental fetch returns records from move to the end (rotate), so
// that a fetch's MaxBytes goes round the partitions.
//
// The cache holds at most max.incremental.fetch.session.cache.slots
// sessions (1000). A full fetch that finds it full may evict one, with
// Kafka's rules (FetchSessionCacheShard.tryEvict): the least recently used
// session if it has been idle more than minEvictionIdle (Kafka's constant,
// 120 s); else the least valuable of the evictable sessions, ordered by
// (privileged, size, ID), if it is less valuable than the new one. A
// session is evictable by any new session if it was more than
// minEvictionIdle old when last used, and by a privileged one (a follower's,
// ReplicaID >= 0) if it is unprivileged; its size is its partition count
// when last used. So a consumer's session evicts only an old session with
// fewer partitions. When nothing can go, the fetch is answered in full
// without a session (SessionID 0), and the client fetches in full. Kafka 4
// splits the slots into 8 shards that each evict on their own; Strata has
// one cache, so eviction sees every session. A session in use by a fetch
// can be evicted, as in Kafka: that fetch is still answered, and the next
// one gets FETCH_SESSION_ID_NOT_FOUND.

// minEvictionIdle is Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS.
const minEvictionIdle = 120 * time.Second

// sessionKey names a partition in a session: by topic name (Fetch v7-v12)
// or by topic ID (v13+; name empty).
type sessionKey struct {
	topic     string
	id        [16]byte
	partition int32
}

// sessionPart is what a session remembers of a partition.
type sessionPart struct {
	key         sessionKey
	fetchOffset int64
	maxBytes    int32
	// The last values sent to the client; -1 before the first answer.
	hw, lso, logStart int64
}

type fetchSession struct {
	id         int32
	privileged bool
	created    time.Time
	epoch      int32 // the epoch the next request must carry
	parts      []*sessionPart
	index      map[sessionKey]*sessionPart
	busy       bool // a fetch is using it

	// Set by touch, under fetchSessions.mu.
	lastUsed            time.Time
	size                int  // len(parts) when last used
	byAll, byPrivileged bool // evictable by any new session, by a privileged one
}

type fetchSessions struct {
	max int
	mu  sync.Mutex
	m   map[int32]*fetchSession
}

func newFetchSessions(maxSessions int) *fetchSessions {
	return &fetchSessions{max: maxSessions, m: make(map[int32]*fetchSession)}
}

// create opens a new session of size partitions, marked busy, or returns
// nil when the cache is full and nothing in it may be evicted.
func (fs *fetchSessions) create(now time.Time, privileged bool, size int) *fetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.m) >= fs.max && !fs.evict(now, privileged, size) {
		return nil
	}
	var id int32
	for id == 0 || fs.m[id] != nil {
		id = rand.Int32()
	}
	s := &fetchSession{id: id, privileged: privileged, created: now, epoch: 0,
		index: make(map[sessionKey]*sessionPart), busy: true}
	fs.m[id] = s
	fs.touchLocked(s, now, size)
	return s
}

// evict removes one session to make room for a new one, if Kafka's rules
// let it (see the comment at the top); fs.mu is held.
func (fs *fetchSessions) evict(now time.Time, privileged bool, size int) bool {
	var lru, cheapest *fetchSession
	for _, s := range fs.m {
		if lru == nil || s.lastUsed.Before(lru.lastUsed) || (s.lastUsed.Equal(lru.lastUsed) && s.id < lru.id) {
			lru = s
		}
		if (privileged && s.byPrivileged) || (!privileged && s.byAll) {
			if cheapest == nil || lessValuable(s, cheapest) {
				cheapest = s
			}
		}
	}
	switch {
	case lru == nil:
		return false
	case now.Sub(lru.lastUsed) > minEvictionIdle:
		delete(fs.m, lru.id)
		return true
	case cheapest == nil:
		return false
	}
	// The new session's key is (privileged, size, 0): it is worth less
	// than cheapest unless it sorts after it (IDs are positive).
	if privileged == cheapest.privileged && size <= cheapest.size || !privileged && cheapest.privileged {
		return false
	}
	delete(fs.m, cheapest.id)
	return true
}

// lessValuable orders sessions by (privileged, size, id), unprivileged first.
func lessValuable(a, b *fetchSession) bool {
	if a.privileged != b.privileged {
		return !a.privileged
	}
	if a.size != b.size {
		return a.size < b.size
	}
	return a.id < b.id
}

// touch records a use of s at now, with its partitions as they are now.
func (fs *fetchSessions) touch(s *fetchSession, now time.Time) {
	fs.mu.Lock()
	fs.touchLocked(s, now, len(s.parts))
	fs.mu.Unlock()
}

func (fs *fetchSessions) touchLocked(s *fetchSession, now time.Time, size int) {
	s.lastUsed, s.size = now, size
	old := now.Sub(s.created) > minEvictionIdle
	s.byAll = old
	s.byPrivileged = !s.privileged || old
}

// acquire returns session id if epoch is the one it expects, marked busy.
// Errors are Kafka's: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH.
func (fs *fetchSessions) acquire(id, epoch int32) (*fetchSession, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	s := fs.m[id]
	switch {
	case s == nil:
		return nil, errSessionNotFound
	case s.busy || s.epoch != epoch:
		return nil, errSessionEpoch
	}
	s.busy = true
	return s, nil
}

// release ends a fetch's use of s and advances its epoch.
func (fs *fetchSessions) release(s *fetchSession) {
	fs.mu.Lock()
	s.busy = false
	s.epoch++
	if s.epoch < 0 {
		s.epoch = 1
	}
	fs.mu.Unlock()
}

// remove closes session id, if it exists.
func (fs *fetchSessions) remove(id int32) {
	fs.mu.Lock()
	delete(fs.m, id)
	fs.mu.Unlock()
}

// upsert adds or updates a partition of the session.
func (s *fetchSession) upsert(k sessionKey, fetchOffset int64, maxBytes int32) *sessionPart {
	p := s.index[k]
	if p == nil {
		p = &sessionPart{key: k, hw: -1, lso: -1, logStart: -1}
		s.index[k] = p
		s.parts = append(s.parts, p)
	}
	p.fetchOffset, p.maxBytes = fetchOffset, maxBytes
	return p
}

// forget removes a partition from the session.
func (s *fetchSession) forget(k sessionKey) {
	if s.index[k] == nil {
		return
	}
	delete(s.index, k)
	for i, p := range s.parts {
		if p.key == k {
			s.parts = append(s.parts[:i], s.parts[i+1:]...)
			break
		}
	}
}

// rotate moves the partitions that returned records (parts[i] read for
// want[i]) to the end of the session's order, keeping their relative order,
// as Kafka's IncrementalFetchContext does: the next fetch reads the others
// first, so partitions with backlogs over the fetch's MaxBytes take turns
// instead of starving the ones after them.
func (s *fetchSession) rotate(want []wantPart, parts []fetchPart) {
	var moved map[*sessionPart]bool
	for i, w := range want {
		if parts[i].read != nil && w.sess != nil {
			if moved == nil {
				moved = make(map[*sessionPart]bool)
			}
			moved[w.sess] = true
		}
	}
	if len(moved) == 0 {
		return
	}
	order := make([]*sessionPart, 0, len(s.parts))
	for _, p := range s.parts {
		if !moved[p] {
			order = append(order, p)
		}
	}
	for _, p := range s.parts {
		if moved[p] {
			order = append(order, p)
		}
	}
	s.parts = order
}
