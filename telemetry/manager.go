package telemetry

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/stratabroker/strata/internal/javahash"
	"github.com/stratabroker/strata/internal/vfs"
)

// Compression type ids as the protocol numbers them (CompressionType.id).
const (
	CompressionNone   int8 = 0
	CompressionGzip   int8 = 1
	CompressionSnappy int8 = 2
	CompressionLZ4    int8 = 3
	CompressionZstd   int8 = 4
)

// AcceptedCompressionTypes is what GetTelemetrySubscriptions offers, in
// Kafka's order of preference.
var AcceptedCompressionTypes = []int8{CompressionZstd, CompressionLZ4, CompressionGzip, CompressionSnappy}

// DefaultMaxBytes is Kafka's telemetry.max.bytes.
const DefaultMaxBytes = 1048576

const (
	maxInstances   = 16384       // Kafka's CACHE_MAX_SIZE
	instanceExpiry = time.Minute // Kafka's DEFAULT_CACHE_EXPIRY_MS
)

// Options configure a Manager. Zero values take the defaults.
type Options struct {
	FS  vfs.FS // nil: vfs.OS
	Dir string // where client_metrics.json lives (the first log dir)
	// MaxBytes is telemetry.max.bytes: the largest metrics payload a push
	// may carry (compressed, as sent). 0: DefaultMaxBytes.
	MaxBytes int32
	// Decompress returns src decompressed with the protocol's compression
	// type codec, at most max bytes (the broker's record codecs).
	Decompress func(codec int8, src []byte, max int) ([]byte, error)
	Now        func() time.Time
	Logger     *slog.Logger
	// MaxClients and MaxSeries bound the Store: client instances kept and
	// series kept per instance. 0: 1024 and 2000.
	MaxClients, MaxSeries int
}

// Manager owns the subscriptions, the client instances and the Store.
type Manager struct {
	fs         vfs.FS
	dir        string
	maxBytes   int32
	decompress func(codec int8, src []byte, max int) ([]byte, error)
	now        func() time.Time
	log        *slog.Logger
	store      *Store

	mu        sync.Mutex
	props     map[string]map[string]string // subscription name -> configs set
	subs      map[string]*Subscription
	version   int                        // bumped by every change of subscriptions
	instances map[[16]byte]*list.Element // of *instance; front: most recent
	lru       list.List
}

// Client is what the broker knows of the connection a request came on.
type Client struct {
	ClientID        string
	SoftwareName    string // from ApiVersions v3+; "" unknown
	SoftwareVersion string
	Address         string // source IP; "" unknown
	Port            int    // source port; 0 unknown
}

// instance is Kafka's ClientMetricsInstance.
type instance struct {
	id       [16]byte
	client   Client
	attrs    map[string]string
	subID    int32
	version  int
	metrics  []string
	interval int32
	lastGet  int64 // ms
	lastPush int64 // ms
	lastSeen time.Time
	term     bool
}

// Open loads the subscriptions kept in opts.Dir.
func Open(opts Options) (*Manager, error) {
	m := &Manager{
		fs: opts.FS, dir: opts.Dir, maxBytes: opts.MaxBytes, decompress: opts.Decompress,
		now: opts.Now, log: opts.Logger,
		props: map[string]map[string]string{}, subs: map[string]*Subscription{},
		instances: map[[16]byte]*list.Element{},
	}
	if m.fs == nil {
		m.fs = vfs.OS
	}
	if m.maxBytes <= 0 {
		m.maxBytes = DefaultMaxBytes
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.store = NewStore(opts.MaxClients, opts.MaxSeries)
	err := m.load(func(name string, err error) {
		m.log.Error("persisted client metrics subscription ignored", "name", name, "err", err)
	})
	if err != nil {
		return nil, err
	}
	if len(m.subs) > 0 {
		m.log.Info("client metrics subscriptions", "names", sortedKeys(m.subs))
	}
	return m, nil
}

// Store returns the pushed metrics.
func (m *Manager) Store() *Store { return m.store }

// MaxBytes is telemetry.max.bytes.
func (m *Manager) MaxBytes() int32 { return m.maxBytes }

// Subscribed is the answer to GetTelemetrySubscriptions.
type Subscribed struct {
	InstanceID     [16]byte
	SubscriptionID int32
	Metrics        []string // in Kafka's (HashSet) order
	PushIntervalMs int32
}

// Get serves GetTelemetrySubscriptions for client instance id (zero: a new
// one is assigned) as Kafka's ClientMetricsManager does: a request sooner
// than the push interval after the last one is throttled, unless the
// subscriptions changed since (the instance is evaluated afresh then).
func (m *Manager) Get(id [16]byte, c Client) (Subscribed, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if id == ([16]byte{}) {
		id = m.newInstanceID()
	}
	in := m.instance(id, c, now)
	ms := now.UnixMilli()
	// Kafka's validateGetRequest tests the last error with "!= A || != B",
	// which always holds: an early request is always throttled.
	if ms-max(in.lastGet, in.lastPush) < int64(in.interval) {
		return Subscribed{}, errorf(ErrThrottled, "Request from the client [%s] arrived before the next push interval time", uuidString(id))
	}
	in.lastGet = ms
	return Subscribed{InstanceID: id, SubscriptionID: in.subID, Metrics: in.metrics, PushIntervalMs: in.interval}, nil
}

// Push is one PushTelemetry request.
type Push struct {
	InstanceID     [16]byte
	SubscriptionID int32
	Terminating    bool
	Compression    int8
	Metrics        []byte
}

// Push serves PushTelemetry with Kafka's checks in Kafka's order: a
// reserved instance id, or any push after a terminating one, is
// INVALID_REQUEST; a push sooner than the interval after the last
// (unless it is the first after a GetTelemetrySubscriptions, or it is
// terminating) is throttled; a subscription id that is not the
// instance's is UNKNOWN_SUBSCRIPTION_ID; a compression type that is not
// one of Kafka's is UNSUPPORTED_COMPRESSION_TYPE; a payload over
// telemetry.max.bytes is TELEMETRY_TOO_LARGE. Accepted metrics are
// decompressed and decoded (OTLP MetricsData) into the Store; a payload
// that does not decode is INVALID_RECORD, as Kafka answers when its
// receiver plugin fails.
func (m *Manager) Push(p Push, c Client) error {
	if p.InstanceID == ([16]byte{}) || p.InstanceID == metadataTopicID {
		return errorf(ErrInvalidRequest, "Invalid request from the client [%s], invalid client instance id", uuidString(p.InstanceID))
	}
	m.mu.Lock()
	now := m.now()
	in := m.instance(p.InstanceID, c, now)
	err := m.checkPush(in, p, now.UnixMilli())
	in.term = p.Terminating
	inst := *in
	m.mu.Unlock()
	if err != nil || len(p.Metrics) == 0 {
		return err
	}
	data := p.Metrics
	if p.Compression != CompressionNone {
		if m.decompress == nil {
			return errorf(ErrInvalidRecord, "compression type %d cannot be decompressed", p.Compression)
		}
		if data, err = m.decompress(p.Compression, p.Metrics, maxDecompressed(m.maxBytes)); err != nil {
			return errorf(ErrInvalidRecord, "metrics from client [%s] could not be decompressed: %v", uuidString(p.InstanceID), err)
		}
	}
	if err := m.store.add(&inst, data, now); err != nil {
		return errorf(ErrInvalidRecord, "metrics from client [%s] could not be decoded: %v", uuidString(p.InstanceID), err)
	}
	return nil
}

// maxDecompressed bounds a payload's decompressed size: 16 times
// telemetry.max.bytes, as the produce path bounds a batch by its limit.
func maxDecompressed(maxBytes int32) int { return 16 * int(maxBytes) }

func (m *Manager) checkPush(in *instance, p Push, ms int64) error {
	id := uuidString(p.InstanceID)
	if in.term {
		return errorf(ErrInvalidRequest, "Client [%s] sent the previous request with state terminating to TRUE, can not acceptany requests after that", id)
	}
	ok := in.lastGet > in.lastPush || ms-in.lastPush >= int64(in.interval)
	if ok {
		in.lastPush = ms
	} else if !p.Terminating {
		return errorf(ErrThrottled, "Request from the client [%s] arrived before the next push interval time", id)
	}
	if p.SubscriptionID != in.subID {
		return errorf(ErrUnknownSubscriptionID, "Unknown client subscription id for the client [%s]", id)
	}
	if p.Compression < CompressionNone || p.Compression > CompressionZstd {
		return errorf(ErrUnsupportedCompression, "Unknown compression type [%d] is received in telemetry request from [%s]", p.Compression, id)
	}
	if len(p.Metrics) > int(m.maxBytes) {
		return errorf(ErrTooLarge, "Telemetry request from [%s] is larger than the maximum allowed size [%d]", id, m.maxBytes)
	}
	return nil
}

// instance returns the instance of id, made (or made again, when the
// subscriptions changed since it was evaluated or it expired) from the
// subscriptions it matches. m.mu is held.
func (m *Manager) instance(id [16]byte, c Client, now time.Time) *instance {
	if e, ok := m.instances[id]; ok {
		in := e.Value.(*instance)
		expiry := max(instanceExpiry, 3*time.Duration(in.interval)*time.Millisecond)
		switch {
		case now.Sub(in.lastSeen) > expiry:
			m.lru.Remove(e)
			delete(m.instances, id)
		case in.version < m.version:
			fresh := m.evaluate(id, in.client)
			e.Value = fresh
			fresh.lastSeen = now
			m.lru.MoveToFront(e)
			return fresh
		default:
			in.lastSeen = now
			m.lru.MoveToFront(e)
			return in
		}
	}
	in := m.evaluate(id, c)
	in.lastSeen = now
	m.instances[id] = m.lru.PushFront(in)
	for m.lru.Len() > maxInstances {
		old := m.lru.Back()
		m.lru.Remove(old)
		delete(m.instances, old.Value.(*instance).id)
	}
	return in
}

// evaluate is Kafka's createClientInstance: the union of the metrics of
// every subscription the client matches ("*" alone when one of them has
// it), the least of their intervals (the default when none matches).
func (m *Manager) evaluate(id [16]byte, c Client) *instance {
	attrs := map[string]string{
		MatchClientInstanceID: uuidString(id),
		MatchClientID:         c.ClientID,
	}
	if c.SoftwareName != "" {
		attrs[MatchClientSoftwareName] = c.SoftwareName
		attrs[MatchClientSoftwareVersion] = c.SoftwareVersion
	}
	if c.Address != "" {
		attrs[MatchClientSourceAddress] = c.Address
	}
	if c.Port != 0 {
		attrs[MatchClientSourcePort] = strconv.Itoa(c.Port)
	}
	interval := int32(DefaultIntervalMs)
	var metrics []string
	all := false
	for _, name := range sortedKeys(m.subs) {
		s := m.subs[name]
		if !s.matches(attrs) {
			continue
		}
		for _, mt := range javahash.Order(s.Metrics) {
			all = all || mt == AllMetrics
			metrics = append(metrics, mt)
		}
		interval = min(interval, s.IntervalMs)
	}
	if all {
		metrics = []string{AllMetrics}
	}
	metrics = javahash.Order(metrics)
	return &instance{
		id: id, client: c, attrs: attrs, version: m.version,
		subID: subscriptionID(metrics, interval, id), metrics: metrics, interval: interval,
	}
}

// metadataTopicID is Kafka's Uuid.METADATA_TOPIC_ID (0...01), reserved
// like the zero id.
var metadataTopicID = [16]byte{15: 1}

// newInstanceID is Kafka's Uuid.randomUuid: a random (v4) UUID that is not
// reserved, does not print starting with '-', and is not in use. m.mu is
// held.
func (m *Manager) newInstanceID() [16]byte {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		if id == metadataTopicID || id[0]>>2 == 62 {
			continue
		}
		if _, used := m.instances[id]; !used {
			return id
		}
	}
}

// uuidString is Kafka's Uuid.toString: URL-safe base64 without padding.
func uuidString(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }
