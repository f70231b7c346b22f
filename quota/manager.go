package quota

import (
	"strings"
	"sync"
	"time"
)

// Kind is a throttled quota type.
type Kind int

// Quota kinds, one per config key but connection_creation_rate.
const (
	Produce Kind = iota
	Fetch
	Request
	ControllerMutation
	numKinds
)

var kindKeys = [numKinds]string{ProducerByteRate, ConsumerByteRate, RequestPercentage, ControllerMutationRate}

// String is the kind's name in metrics (Kafka's quota type names).
func (k Kind) String() string {
	return [numKinds]string{"Produce", "Fetch", "Request", "ControllerMutation"}[k]
}

// Sensor is one entity's rate of one kind, shared by every connection that
// resolves to that entity.
type Sensor struct {
	mu     sync.Mutex
	rate   *Rate
	bucket *tokenBucket // controller_mutation_rate: Kafka's TokenBucket
	bound  float64
}

// Record adds value at now and returns the throttle time in ms (0 when the
// rate stays within the bound), as ClientQuotaManager.recordAndGetThrottleTimeMs.
func (s *Sensor) Record(value float64, now int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.Record(value, now)
	r := s.rate.Measure(now)
	if r <= s.bound {
		return 0
	}
	return ThrottleMs(r, s.bound, s.rate.WindowSize(now))
}

// Manager resolves connections to sensors.
type Manager struct {
	Store *Store
	W     Window
	Now   func() time.Time

	mu      sync.Mutex
	gen     uint64
	sensors map[sensorKey]*Sensor
}

type sensorKey struct {
	kind Kind
	e    Entity
}

// NewManager returns a manager over st with Kafka's default window.
func NewManager(st *Store) *Manager {
	return &Manager{Store: st, W: DefaultWindow, Now: time.Now, sensors: map[sensorKey]*Sensor{}}
}

// NowMs is the manager clock in ms.
func (m *Manager) NowMs() int64 { return m.Now().UnixMilli() }

// Handle is a connection's resolution, owned by the connection's goroutine.
type Handle struct {
	gen     uint64
	user    string
	client  string
	sensors [numKinds]*Sensor
	any     bool
}

// userName strips Kafka's "User:" principal type.
func userName(principal string) string {
	if n, ok := strings.CutPrefix(principal, "User:"); ok {
		return n
	}
	return principal
}

// Resolve returns h up to date for principal and clientID: the same h
// while nothing changed (the hot path: one atomic load and compares).
func (m *Manager) Resolve(h *Handle, principal, clientID string) *Handle {
	gen := m.Store.Gen()
	user := userName(principal)
	if h != nil && h.gen == gen && h.client == clientID && h.user == user {
		return h
	}
	nh := &Handle{gen: gen, user: user, client: clientID}
	sn := m.Store.snap.Load()
	if len(sn.m) == 0 {
		return nh
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen != gen { // quotas changed: new sensors with the new bounds
		clear(m.sensors)
		m.gen = gen
	}
	for k := Kind(0); k < numKinds; k++ {
		e, b, ok := resolve(sn, k, Entity{HasUser: true, User: user, HasClient: true, Client: clientID})
		if !ok {
			continue
		}
		key := sensorKey{k, e}
		s := m.sensors[key]
		if s == nil {
			s = &Sensor{rate: NewRate(m.W), bound: b}
			m.sensors[key] = s
		}
		nh.sensors[k] = s
		nh.any = true
	}
	return nh
}

// resolve finds the quota of kind for a user and client (who) through
// Kafka's eight levels; the entity returned names the sensor.
func resolve(sn *snapshot, kind Kind, who Entity) (Entity, float64, bool) {
	key := kindKeys[kind]
	u, c := who.User, who.Client
	cands := [...]Entity{
		{HasUser: true, User: u, HasClient: true, Client: c},
		{HasUser: true, User: u, HasClient: true, Client: Default},
		{HasUser: true, User: u},
		{HasUser: true, User: Default, HasClient: true, Client: c},
		{HasUser: true, User: Default, HasClient: true, Client: Default},
		{HasUser: true, User: Default},
		{HasClient: true, Client: c},
		{HasClient: true, Client: Default},
	}
	for _, e := range cands {
		if v, ok := sn.lookup(e)[key]; ok {
			// The sensor is per resolved entity, with the real names
			// where the match was a default (Kafka's metric tags).
			se := e
			if se.User == Default {
				se.User = u
			}
			if se.Client == Default {
				se.Client = c
			}
			return se, v, true
		}
	}
	return Entity{}, 0, false
}

// Record records value of kind for h and returns the throttle time in ms;
// 0 and nothing recorded without a quota.
func (m *Manager) Record(h *Handle, kind Kind, value float64) int64 {
	if h == nil || h.sensors[kind] == nil {
		return 0
	}
	return h.sensors[kind].Record(value, m.NowMs())
}

// Active reports whether h has any quota.
func (h *Handle) Active() bool { return h != nil && h.any }

// Quota returns the configured bound of kind for a principal and client id
// (for tests and describe).
func (m *Manager) Quota(kind Kind, principal, clientID string) (float64, bool) {
	_, b, ok := resolve(m.Store.snap.Load(), kind, Entity{HasUser: true, User: userName(principal), HasClient: true, Client: clientID})
	return b, ok
}

// burst is the token bucket's size for bound.
func (s *Sensor) burst(w Window) float64 {
	return float64(w.Samples) * float64(w.WindowMs) / 1000 * s.bound
}

// Mutation is one request's controller mutation quota (Kafka's
// StrictControllerMutationQuota or, for older request versions,
// PermissiveControllerMutationQuota); nil: no quota.
type Mutation struct {
	m      *Manager
	s      *Sensor
	strict bool
	// throttle is the last throttle time and when it was computed.
	throttleMs, at int64
}

// Mutation returns h's controller mutation quota for one request; nil
// when h has none.
func (m *Manager) Mutation(h *Handle, strict bool) *Mutation {
	if h == nil || h.sensors[ControllerMutation] == nil {
		return nil
	}
	return &Mutation{m: m, s: h.sensors[ControllerMutation], strict: strict}
}

// Record takes permits (partitions created or deleted). Strict: when the
// bucket is already below zero nothing is taken and Record reports false
// (THROTTLING_QUOTA_EXCEEDED for that topic). Permissive: always taken.
func (q *Mutation) Record(permits float64) bool {
	if q == nil {
		return true
	}
	now := q.m.NowMs()
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bucket == nil {
		s.bucket = &tokenBucket{}
	}
	b, burst := s.bucket, s.burst(q.m.W)
	if q.strict {
		b.refill(s.bound, burst, now)
		if b.tokens < 0 {
			q.throttleMs, q.at = TokenThrottleMs(b.tokens, s.bound), now
			return false
		}
		b.refill(s.bound, burst, now)
		b.tokens = min(burst, b.tokens-permits)
		return true
	}
	b.refill(s.bound, burst, now)
	b.tokens = min(burst, b.tokens-permits)
	b.refill(s.bound, burst, now)
	if b.tokens < 0 {
		q.throttleMs, q.at = TokenThrottleMs(b.tokens, s.bound), now
	}
	return true
}

// ThrottleMs is the request's throttle time: the last one computed, less
// the time since.
func (q *Mutation) ThrottleMs() int64 {
	if q == nil || q.throttleMs == 0 {
		return 0
	}
	return max(0, q.throttleMs-(q.m.NowMs()-q.at))
}

// connKind keys the per-IP connection creation sensors.
const connKind = numKinds

// ConnectionThrottleMs records a new connection from ip against its
// connection_creation_rate (the ip's own quota, else the default ip's) and
// returns how long to hold it before closing it when over the quota:
// QuotaUtils.boundedThrottleTime, at most one window (Kafka's
// ConnectionQuotas). 0: within the quota or none.
func (m *Manager) ConnectionThrottleMs(ip string) int64 {
	sn := m.Store.snap.Load()
	if len(sn.m) == 0 {
		return 0
	}
	e := Entity{HasIP: true, IP: ip}
	bound, ok := sn.lookup(e)[ConnectionCreationRate]
	if !ok {
		if bound, ok = sn.lookup(Entity{HasIP: true, IP: Default})[ConnectionCreationRate]; !ok {
			return 0
		}
	}
	gen := m.Store.Gen()
	m.mu.Lock()
	if m.gen != gen {
		clear(m.sensors)
		m.gen = gen
	}
	key := sensorKey{connKind, e}
	s := m.sensors[key]
	if s == nil {
		s = &Sensor{rate: NewRate(m.W), bound: bound}
		m.sensors[key] = s
	}
	m.mu.Unlock()
	return min(s.Record(1, m.NowMs()), m.W.WindowMs)
}

// MaxValueInWindow is ClientQuotaManager.getMaxValueInQuotaWindow: the
// most kind's quota allows in samples-1 windows (the fetch size cap); ok
// false without a quota.
func (m *Manager) MaxValueInWindow(h *Handle, kind Kind) (float64, bool) {
	if h == nil || h.sensors[kind] == nil {
		return 0, false
	}
	s := h.sensors[kind]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bound * float64(m.W.Samples-1) * float64(m.W.WindowMs) / 1000, true
}
