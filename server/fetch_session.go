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
// full fetch). The cache holds at most maxSessions; opening one more evicts
// the least recently used.

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
	id       int32
	epoch    int32 // the epoch the next request must carry
	parts    []*sessionPart
	index    map[sessionKey]*sessionPart
	lastUsed time.Time
	busy     bool // a fetch is using it
}

type fetchSessions struct {
	max int
	mu  sync.Mutex
	m   map[int32]*fetchSession
}

func newFetchSessions(maxSessions int) *fetchSessions {
	return &fetchSessions{max: maxSessions, m: make(map[int32]*fetchSession)}
}

// create opens a new session and returns it marked busy.
func (fs *fetchSessions) create(now time.Time) *fetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.m) >= fs.max {
		var oldest *fetchSession
		for _, s := range fs.m {
			if !s.busy && (oldest == nil || s.lastUsed.Before(oldest.lastUsed)) {
				oldest = s
			}
		}
		if oldest != nil {
			delete(fs.m, oldest.id)
		}
	}
	var id int32
	for id == 0 || fs.m[id] != nil {
		id = rand.Int32()
	}
	s := &fetchSession{id: id, epoch: 0, index: make(map[sessionKey]*sessionPart), lastUsed: now, busy: true}
	fs.m[id] = s
	return s
}

// acquire returns session id if epoch is the one it expects, marked busy.
// Errors are Kafka's: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH.
func (fs *fetchSessions) acquire(id, epoch int32, now time.Time) (*fetchSession, error) {
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
	s.lastUsed = now
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
