package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/acl"
	"github.com/stratabroker/strata/auth"
	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/internal/dirlock"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/segment"
	"github.com/stratabroker/strata/telemetry"
	"github.com/stratabroker/strata/tlsconf"
	"github.com/stratabroker/strata/topic"
	"github.com/stratabroker/strata/txn"
)

// Options are the parts of a Server that are not Kafka configuration.
// The zero value is usable.
type Options struct {
	FS     vfs.FS           // the filesystem of the data directory; nil: vfs.OS
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
}

// Stats are counters of a running Server.
type Stats struct {
	Connections   int64 // connections accepted so far
	Requests      int64 // requests served so far
	SendfileBytes int64 // record bytes of Fetch responses sent with sendfile
	CopiedBytes   int64 // record bytes of Fetch responses copied through a buffer (files without a descriptor)

	QueuedRequests     int64 // requests read or being read and not yet handled (queued.max.requests slots taken)
	QueuedRequestsPeak int64 // the most QueuedRequests ever reached; at most queued.max.requests
	FetchMemory        int64 // bytes of the fetch memory budget taken now (budget.go)
	FetchMemoryPeak    int64 // the most FetchMemory ever reached; at most the budget
	HeldReads          int64 // partition reads of Fetch replies holding segment references (not yet written or dropped)

	QueuedRequestBytes     int64 // bytes of request frames reserved now: being read, waiting for a slot or being handled (queue.go)
	QueuedRequestBytesPeak int64 // the most QueuedRequestBytes ever reached; at most queued.max.request.bytes when it is above 0
}

// Server is a running broker: storage opened, listeners accepting.
type Server struct {
	cfg       *config.Broker // the static configuration; config() is the one in force
	dyn       dynamicConfigs // dynamic broker configs (dynamic_configs.go)
	features  featureState   // finalized features (features.go)
	fs        vfs.FS
	log       *slog.Logger
	now       func() time.Time
	dataDir   string          // the first log dir: topics.json, the producer-ID block
	locks     []*dirlock.Lock // one per log dir, over vfs.OS; released last by closeStorage
	pidDirs   []string        // the log dirs holding our PIDFile (pidfile.go)
	clusterID string

	flusher  *partition.Flusher
	topics   *topic.Registry
	pids     *producerIDs
	sessions *fetchSessions
	groupsMu sync.Mutex
	groups   *group.Coordinator // nil until __consumer_offsets exists; see coordinator
	txnsMu   sync.Mutex
	txns     *txn.Coordinator // nil until __transaction_state exists; see txnCoordinator

	telemetry *telemetry.Manager // client metrics subscriptions and pushed metrics (client_metrics.go)

	listeners []*listener
	auth      *auth.Authenticator // SASL (sasl.go); nil when no listener uses SASL
	scram     *auth.Store         // SCRAM credentials of the first log dir (scram_credentials.go)
	acl       *acl.Authorizer     // authorizer.class.name; nil: none (authorize.go)
	aclDenied aclDenials          // denied checks (authorize.go)
	quota     quotaState          // client quotas (quotas.go)
	tokens    *auth.Tokens        // delegation tokens (delegation_tokens.go)

	saslMaxReceive int64 // sasl.server.max.receive.size (sasl.go)

	authMu     sync.Mutex
	authCounts map[authKey]*AuthCount // SASL outcomes per listener and mechanism (sasl.go)
	done       chan struct{}          // closed by Close: long polls end, accept loops stop

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup // accept loops and connections

	closeOnce sync.Once
	closeErr  error

	connections, requests      atomic.Int64
	sendfileBytes, copiedBytes atomic.Int64
	heldReads                  atomic.Int64 // reads holding segment references (Stats.HeldReads)
	reqStats                   *serverStats // per API key counters and latencies (stats.go)

	limits      connLimits     // max.connections, max.connections.per.ip (limits.go)
	ipOverrides map[string]int // max.connections.per.ip.overrides
	slots       *requestSlots  // queued.max.requests (queue.go)
	reqBytes    *byteBudget    // queued.max.request.bytes (queue.go); math.MaxInt64 when unbounded
	budget      *byteBudget    // in-flight fetch response memory (budget.go)
	frames      *byteBudget    // frames above frameStep allocated whole before their bytes arrive (conn.readFrame)

	decompress *byteBudget                  // produce decompression and recompression memory (produce_compress.go)
	target     atomic.Pointer[brokerTarget] // the broker's compression.type, for topics without an override (produce_compress.go)
	compactDef atomic.Pointer[brokerPolicy] // whether log.cleanup.policy holds compact (produce_keys.go)

	txnVerifier atomic.Pointer[txnVerifierBox] // Produce's transaction verification (txn_verify.go)
}

type listener struct {
	name     string // the listener name, e.g. PLAINTEXT
	protocol string // its security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
	ln       net.Listener
	tls      atomic.Pointer[tlsconf.Listener] // SSL and SASL_SSL: the configuration new connections take (tls.go)

	open     atomic.Int64 // connections open now (stats.go)
	accepted atomic.Int64 // connections accepted so far
	serving  atomic.Bool  // the accept loop runs (Ready)
}

// Errors returned by Start.
var (
	// ErrConfig reports a configuration the server cannot start with.
	ErrConfig = errors.New("server: bad configuration")
)

// Start binds every served PLAINTEXT listener, takes every log dir (a lock
// on <dir>/.lock, as Kafka's, so that two brokers never share one; the
// cluster ID of their meta.properties), recovers every topic's logs and
// starts accepting.
// The configuration must have passed Validate; the Server keeps it and does
// not change it. Close shuts it down.
func Start(cfg *config.Broker, opts Options) (*Server, error) {
	if len(cfg.LogDirs) == 0 {
		return nil, fmt.Errorf("%w: log.dirs is empty", ErrConfig)
	}
	served, err := cfg.ServedListeners()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s := &Server{
		cfg:      cfg,
		fs:       opts.FS,
		log:      opts.Logger,
		now:      opts.Now,
		dataDir:  filepath.Clean(cfg.LogDirs[0]),
		done:     make(chan struct{}),
		conns:    make(map[*conn]struct{}),
		slots:    newRequestSlots(cfg.QueuedMaxRequests),
		reqBytes: newByteBudget(math.MaxInt64),
		budget:   newByteBudget(cfg.FetchMemoryMaxBytes),
		frames:   newByteBudget(largeFrames),
		reqStats: newServerStats(),

		decompress: newByteBudget(cfg.ProduceDecompressionMemoryMaxBytes),
	}
	if o, oerr := cfg.MaxConnectionsPerIPOverride(); oerr != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, oerr)
	} else {
		s.ipOverrides = o
	}
	if cfg.QueuedMaxRequestBytes > 0 {
		s.reqBytes = newByteBudget(cfg.QueuedMaxRequestBytes)
	}
	if s.fs == nil {
		s.fs = vfs.OS
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	saslListeners, err := saslConfig(cfg, served)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	started := false
	defer func() {
		if !started { // stop the JWKS refreshes of a broker that did not start
			auth.New(saslListeners, nil, nil).Close()
		}
	}()
	// Bind first: a broker that cannot listen must not touch the log
	// dirs (no meta.properties written into a new dir, no recovery run).
	for _, l := range served {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("server: listen on %s: %w", l.Addr(), err)
		}
		s.listeners = append(s.listeners, &listener{name: l.Name, protocol: l.Protocol, ln: ln})
	}
	built, err := buildTLS(cfg, s.listeners)
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.setTLS(built)
	if err := s.openStorage(); err != nil {
		s.closeListeners()
		return nil, err
	}
	if err := s.openAuth(saslListeners); err != nil {
		s.closeListeners()
		s.closeStorage()
		return nil, err
	}
	if err := s.openACL(); err != nil {
		s.closeListeners()
		s.closeStorage()
		return nil, err
	}
	started = true
	for _, l := range s.listeners {
		s.log.Info("listening", "listener", l.name, "addr", l.ln.Addr().String())
		s.wg.Add(1)
		go s.accept(l)
	}
	return s, nil
}

// openStorage takes every log dir (created if missing, locked, its
// meta.properties read or written), then opens the topics and groups. On
// an error nothing stays open or locked.
func (s *Server) openStorage() (err error) {
	dirs := make([]string, len(s.cfg.LogDirs))
	for i, d := range s.cfg.LogDirs {
		dirs[i] = filepath.Clean(d)
		if err := s.fs.MkdirAll(dirs[i], 0o755); err != nil {
			return fmt.Errorf("server: log dir %s: %w", dirs[i], err)
		}
	}
	if s.fs == vfs.OS {
		if s.locks, err = dirlock.AcquireAll(dirs); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		defer func() {
			if err != nil {
				dirlock.UnlockAll(s.locks)
				s.locks = nil
			}
		}()
	}
	defer func() {
		if err != nil {
			s.removePIDFiles()
		}
	}()
	if err := s.writePIDFiles(dirs); err != nil {
		return err
	}
	id, err := s.openMeta(dirs)
	if err != nil {
		return err
	}
	s.clusterID = id
	pids, err := openProducerIDs(s.fs, s.dataDir)
	if err != nil {
		return err
	}
	s.pids = pids
	if err := s.loadDynamic(); err != nil {
		return err
	}
	if err := s.loadFeatures(); err != nil {
		return err
	}
	if err := s.openQuotas(); err != nil {
		return err
	}
	if err := s.openTelemetry(); err != nil {
		return err
	}
	s.sessions = newFetchSessions(s.cfg.MaxIncrementalFetchSessionCacheSlots)
	s.flusher = partition.NewFlusher(s.fs)
	setBy := "strata.segment.files.max"
	n := s.cfg.SegmentFilesMax
	if n == 0 {
		n, setBy = segmentFileBudget(), "the open-file limit"
	}
	if n > 0 {
		segment.SetFileBudget(n)
	}
	// A segment loaded for appends or reads holds three descriptors: the
	// budget over three is how many partitions are served at once without
	// reopening files (the rest are reopened on demand).
	s.log.Info("segment file budget", "descriptors", segment.FileBudget(),
		"partitions_active_at_once", segment.FileBudget()/3, "set_by", setBy)
	s.topics, err = topic.Open(s.dataDir, topic.Options{
		FS: s.fs,
		Partition: partition.Options{
			FS: s.fs, Flusher: s.flusher, Now: s.now, Logger: s.log,
		},
		Resolve:                         s.resolveTopicConfig,
		RetentionCheckInterval:          time.Duration(s.cfg.LogRetentionCheckIntervalMs) * time.Millisecond,
		Logger:                          s.log,
		ExtraDirs:                       dirs[1:],
		RecoveryThreads:                 s.cfg.NumRecoveryThreadsPerDataDir,
		RecoveryPointCheckpointInterval: checkpointInterval(s.cfg.LogFlushOffsetCheckpointIntervalMs),
		LogStartCheckpointInterval:      checkpointInterval(s.cfg.LogFlushStartOffsetCheckpointMs),
		Cleaner:                         s.cleanerOptions(s.config()),
		Compaction:                      s.compaction,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("server: open topics: %w", err), s.flusher.Close())
	}
	if _, ok := s.topics.Get(offsetsTopic); ok {
		// Load the groups now: members' sessions and offset expiry run
		// from the start, as in Kafka.
		if err := s.openGroups(); err != nil {
			return errors.Join(err, s.topics.Close(), s.flusher.Close())
		}
	}
	if _, ok := s.topics.Get(transactionTopic); ok {
		// Load the transactions now: the ones left half-completed are
		// completed, and timeouts run, from the start, as in Kafka.
		if err := s.openTxns(); err != nil {
			return errors.Join(err, s.closeGroups(), s.topics.Close(), s.flusher.Close())
		}
	}
	return nil
}

// checkpointInterval is a log.flush.*.checkpoint.interval.ms for the
// registry: 0 means no periodic writes (only at start, delete and close).
func checkpointInterval(ms int64) time.Duration {
	if ms <= 0 {
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

func (s *Server) closeStorage() error {
	var errs []error
	errs = append(errs, s.closeTxns(), s.closeGroups())
	if s.topics != nil {
		errs = append(errs, s.topics.Close())
	}
	if s.flusher != nil {
		errs = append(errs, s.flusher.Close())
	}
	// Last: the dirs are ours until every file in them is closed.
	errs = append(errs, s.removePIDFiles())
	errs = append(errs, dirlock.UnlockAll(s.locks))
	s.locks = nil
	return errors.Join(errs...)
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.ln.Close()
	}
}

// Addr is the address of the first listener.
func (s *Server) Addr() net.Addr { return s.listeners[0].ln.Addr() }

// ListenerAddr is the address of the listener named name (PLAINTEXT, SSL,
// ...), nil when there is none.
func (s *Server) ListenerAddr(name string) net.Addr {
	for _, l := range s.listeners {
		if l.name == name {
			return l.ln.Addr()
		}
	}
	return nil
}

// ProtocolAddr is the address of the first listener whose security
// protocol is protocol (PLAINTEXT, SSL, ...), nil when there is none.
func (s *Server) ProtocolAddr(protocol string) net.Addr {
	for _, l := range s.listeners {
		if l.protocol == protocol {
			return l.ln.Addr()
		}
	}
	return nil
}

// ClusterID is the cluster ID the server reports.
func (s *Server) ClusterID() string { return s.clusterID }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Connections:   s.connections.Load(),
		Requests:      s.requests.Load(),
		SendfileBytes: s.sendfileBytes.Load(),
		CopiedBytes:   s.copiedBytes.Load(),

		QueuedRequests:     s.slots.held.Load(),
		QueuedRequestsPeak: s.slots.peak.Load(),
		FetchMemory:        s.budget.inUse(),
		FetchMemoryPeak:    s.budget.peak.Load(),
		HeldReads:          s.heldReads.Load(),

		QueuedRequestBytes:     s.reqBytes.inUse(),
		QueuedRequestBytesPeak: s.reqBytes.peak.Load(),
	}
}

// Close shuts the server down cleanly: it stops accepting, closes every
// connection, waits for the requests being served to finish (long-poll
// fetches end at once), then closes every log cleanly (flushed, indexes
// trimmed, clean-shutdown marker written). It returns the storage's errors.
// Calling Close again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		s.closeListeners()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		// Requests waiting on a rebalance, a commit or a transaction's
		// record end now.
		s.closeTxns()
		s.closeGroups()
		s.wg.Wait()
		s.auth.Close()
		s.closeErr = s.closeStorage()
		s.log.Info("shut down", "clean", s.closeErr == nil)
	})
	return s.closeErr
}

func (s *Server) accept(l *listener) {
	defer s.wg.Done()
	l.serving.Store(true)
	defer l.serving.Store(false)
	var delay time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off and keep serving.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept", "err", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		var rules *tlsconf.Rules
		if t := l.tls.Load(); t != nil {
			nc, rules = tls.Server(nc, t.TLS), t.Rules
		}
		c := newConn(s, nc, l.name)
		c.l = l
		c.securityProtocol = l.protocol
		c.rules = rules
		if isSASL(l.protocol) {
			c.sasl = &saslConn{l: s.auth.Listener(l.name)}
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.connections.Add(1)
		l.accepted.Add(1)
		l.open.Add(1)
		go c.serve()
	}
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if c.l != nil {
		c.l.open.Add(-1)
	}
	s.wg.Done()
}

// advertised returns the host and port Metadata gives clients that
// connected through listener name on local address local.
func (s *Server) advertised(name string, local net.Addr) (string, int32) {
	host, port := "", 0
	if eps, err := s.cfg.AdvertisedEndpoints(); err == nil {
		for i, ep := range eps {
			if ep.Name == name || (i == 0 && host == "" && port == 0) {
				host, port = ep.Host, ep.Port
				if ep.Name == name {
					break
				}
			}
		}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, _, err := net.SplitHostPort(local.String()); err == nil {
			host = h
		}
	}
	if port == 0 {
		for _, l := range s.listeners {
			if l.name == name {
				if _, p, err := net.SplitHostPort(l.ln.Addr().String()); err == nil {
					port, _ = strconv.Atoi(p)
				}
			}
		}
	}
	return host, int32(port)
}
