package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Info describes what the console runs in, for the overview.
type Info struct {
	Version   string    // the binary's version
	Embedded  bool      // served by the broker itself
	NodeID    int32     // the broker's node.id when embedded
	Started   time.Time // the broker's start (embedded) or the console's
	Listeners []string  // the broker's listeners (embedded) and the console's
}

// Options configure a Server.
type Options struct {
	// Seeds are the brokers to bootstrap from; ClientOpts are added to
	// the console's one client (TLS, SASL, a dialer).
	Seeds      []string
	ClientOpts []kgo.Opt
	ReadOnly   bool
	Info       Info
	Logger     *slog.Logger
	// MaxExpensive bounds the expensive pages (messages, search, tail,
	// topic and topics pages) served at once (0: 4); a request waits at
	// most 5 s for a slot, then gets 503.
	MaxExpensive int
	// RequestTimeout bounds one page's requests to the cluster (0: 15 s).
	RequestTimeout time.Duration
	// SampleInterval is the rate sampler's period (0: 5 s).
	SampleInterval time.Duration
	// Limits of the message browser (0: defaults).
	Limits Limits
	// Broker is the state of the broker serving an embedded console (the
	// log cleaner's); nil for `strata console`: the pages say it is
	// only shown by the embedded console.
	Broker BrokerState
}

// Limits bound what one message page reads from the cluster.
type Limits struct {
	FetchBytes   int32 // one Fetch request's byte bound (0: 1 MiB)
	PageBytes    int64 // bytes read for one page of records (0: 8 MiB)
	ScanRecords  int64 // records a search scans at most (0: 100,000)
	ScanBytes    int64 // bytes a search scans at most (0: 64 MiB)
	ScanDuration time.Duration
	MaxRecords   int // records on one page at most (0: 500)
}

// Server is the web console: an http.Handler over one Kafka client.
type Server struct {
	o        Options
	cl       *kgo.Client
	adm      *kadm.Client
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	cop      *http.CrossOriginProtection
	key      []byte // the CSRF HMAC key
	slots    chan struct{}
	slotWait time.Duration // how long an expensive page waits for a slot
	sampler  *sampler
	navMu    sync.Mutex
	navAt    time.Time
	navKeys  map[int16]bool
}

// New returns a console of the cluster at o.Seeds. It does not contact
// the cluster until a page is asked for.
func New(o Options) (*Server, error) {
	if len(o.Seeds) == 0 {
		return nil, errors.New("console: no seed brokers")
	}
	if o.MaxExpensive <= 0 {
		o.MaxExpensive = 4
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 15 * time.Second
	}
	if o.SampleInterval <= 0 {
		o.SampleInterval = 5 * time.Second
	}
	o.Limits.defaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Info.Started.IsZero() {
		o.Info.Started = time.Now()
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(o.Seeds...),
		kgo.ClientID("strata-console"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.RetryTimeout(o.RequestTimeout),
		kgo.ProduceRequestTimeout(o.RequestTimeout),
		kgo.RecordDeliveryTimeout(o.RequestTimeout),
	}, o.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s := &Server{
		o:        o,
		cl:       cl,
		adm:      kadm.NewClient(cl),
		log:      o.Logger,
		cop:      http.NewCrossOriginProtection(),
		key:      make([]byte, 32),
		slots:    make(chan struct{}, o.MaxExpensive),
		slotWait: 5 * time.Second,
	}
	s.adm.SetTimeoutMillis(int32(o.RequestTimeout / time.Millisecond))
	rand.Read(s.key)
	if s.pages, err = parsePages(); err != nil {
		cl.Close()
		return nil, err
	}
	s.sampler = newSampler(s.adm, o.SampleInterval, o.Logger)
	s.mux = http.NewServeMux()
	s.Register(s.mux)
	return s, nil
}

func (l *Limits) defaults() {
	if l.FetchBytes <= 0 {
		l.FetchBytes = 1 << 20
	}
	if l.PageBytes <= 0 {
		l.PageBytes = 8 << 20
	}
	if l.ScanRecords <= 0 {
		l.ScanRecords = 100_000
	}
	if l.ScanBytes <= 0 {
		l.ScanBytes = 64 << 20
	}
	if l.ScanDuration <= 0 {
		l.ScanDuration = 5 * time.Second
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 500
	}
}

// Close stops the sampler and closes the client.
func (s *Server) Close() {
	s.sampler.stop()
	s.cl.Close()
}

// ServeHTTP serves the console on its own mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type kind int

const (
	cheap     kind = iota // a page of a few small requests
	expensive             // bounded by Options.MaxExpensive
	write                 // POST, CSRF-checked, refused when read-only
	writeForm             // a GET form or confirmation of a write: refused when read-only
)

// Register adds the console's routes to mux. "/" is the console's: an
// unknown path gets its 404 page.
func (s *Server) Register(mux *http.ServeMux) {
	h := func(pattern string, k kind, f func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle(pattern, s.wrap(k, f))
	}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", s.headers(http.StripPrefix("/static/", http.FileServerFS(static))))
	h("GET /{$}", cheap, s.overview)
	h("GET /overview/rates", cheap, s.ratesFragment)
	h("GET /topics", expensive, s.topics)
	h("GET /transactions", expensive, s.transactions)
	h("GET /quotas", cheap, s.quotas)
	h("GET /topics/{topic}", expensive, s.topic)
	h("GET /topics/{topic}/messages", expensive, s.messages)
	h("GET /topics/{topic}/tail", expensive, s.tail)
	h("GET /topics/{topic}/produce", writeForm, s.produceForm)
	h("POST /topics/{topic}/produce", write, s.produce)
	h("POST /topics/{topic}/configs", write, s.alterConfigs)
	h("GET /topics/{topic}/delete", writeForm, s.deleteTopicForm)
	h("POST /topics/{topic}/delete", write, s.deleteTopic)
	h("GET /topics/{topic}/partitions/{partition}/purge", writeForm, s.purgeForm)
	h("POST /topics/{topic}/partitions/{partition}/purge", write, s.purge)
	h("GET /new-topic", writeForm, s.createTopicForm)
	h("POST /new-topic", write, s.createTopic)
	h("GET /groups", cheap, s.groups)
	h("GET /groups/{group}", expensive, s.group)
	h("GET /groups/{group}/reset", writeForm, s.resetForm)
	h("POST /groups/{group}/reset", write, s.reset)
	h("GET /groups/{group}/delete", writeForm, s.deleteGroupForm)
	h("POST /groups/{group}/delete", write, s.deleteGroup)
	h("GET /acls", cheap, s.acls)
	h("POST /acls/add", write, s.addACL)
	h("POST /acls/delete", write, s.deleteACL)
	h("/", cheap, func(w http.ResponseWriter, r *http.Request) error {
		return notFound("no page at %s", r.URL.Path)
	})
}

// httpError is an error page with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &httpError{http.StatusForbidden, fmt.Sprintf(format, args...)}
}

// headers sets the security headers on every response: no inline script
// or style, no framing, no sniffing, no referrer to other sites.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// wrap applies the security headers, the read-only rule, CSRF checks,
// the cap on expensive pages and the request timeout, and renders errors
// as pages.
func (s *Server) wrap(k kind, f func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return s.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.sampler.touch()
		err := func() error {
			if (k == write || k == writeForm) && s.o.ReadOnly {
				return forbidden("the console is read-only (console.read.only=true): nothing was changed")
			}
			if k == write {
				if err := s.cop.Check(r); err != nil {
					return forbidden("cross-origin request refused: %v", err)
				}
				if err := r.ParseForm(); err != nil {
					return badRequest("bad form: %v", err)
				}
				if !s.validCSRF(r) {
					return forbidden("missing or wrong CSRF token: reload the page and try again")
				}
			}
			if k == expensive {
				t := time.NewTimer(s.slotWait)
				defer t.Stop()
				select {
				case s.slots <- struct{}{}:
					defer func() { <-s.slots }()
				case <-t.C:
					return &httpError{http.StatusServiceUnavailable, "the console is busy with other expensive pages: try again"}
				case <-r.Context().Done():
					return r.Context().Err()
				}
			}
			// Pages read fresh metadata (kadm otherwise answers from
			// kgo's cache, up to 5 s old: a deleted topic would linger).
			ctx, cancel := context.WithTimeout(kadm.WithAuthorizedOps(r.Context()), s.o.RequestTimeout)
			defer cancel()
			return f(w, r.WithContext(ctx))
		}()
		if err != nil {
			s.renderError(w, r, err)
		}
	}))
}

const csrfCookie = "strata_csrf"

// csrfToken returns the form token of r's browser, setting its cookie
// when it has none: an HMAC of the cookie's random value under the
// server's key (a signed double-submit cookie). A forged form from
// another site can neither read the cookie nor compute the token.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	v := ""
	if err == nil && len(c.Value) == 43 {
		v = c.Value
	} else {
		b := make([]byte, 32)
		rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	}
	return s.sign(v)
}

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	got := r.PostForm.Get("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(s.sign(c.Value)))
}

// page is what every template gets.
type page struct {
	Title    string
	Section  string // the nav entry to mark
	ReadOnly bool
	CSRF     string
	Nav      []navEntry
	Notice   string // a line at the top (?done=...)
	Data     any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title, section string, data any) error {
	t := s.pages[name]
	if t == nil {
		return fmt.Errorf("console: no template %s", name)
	}
	p := page{Title: title, Section: section, ReadOnly: s.o.ReadOnly, Nav: s.nav(r.Context()), Data: data,
		Notice: doneNotice(r.URL.Query().Get("done"))}
	if !s.o.ReadOnly {
		p.CSRF = s.csrfToken(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// fragment renders a template without the layout (htmx partial updates).
func (s *Server) fragment(w http.ResponseWriter, name, tmpl string, data any) error {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, tmpl, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := err.Error()
	var he *httpError
	switch {
	case errors.As(err, &he):
		status = he.status
	case errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
		msg = "the cluster did not answer in time: " + msg
	default:
		status = http.StatusBadGateway
		msg = "the cluster refused or failed: " + errText(err)
	}
	if status >= 500 {
		s.log.Warn("console page failed", "path", r.URL.Path, "status", status, "err", err)
	}
	if rerr := s.render(w, r, status, "error.html", http.StatusText(status), "", struct {
		Status int
		Msg    string
	}{status, msg}); rerr != nil {
		http.Error(w, msg, status)
	}
}

func doneNotice(done string) string {
	switch done {
	case "created":
		return "Topic created."
	case "deleted":
		return "Topic deleted."
	case "altered":
		return "Config altered."
	case "purged":
		return "Partition purged: its log start offset is now its end offset."
	case "produced":
		return "Record produced."
	case "reset":
		return "Offsets reset."
	case "group-deleted":
		return "Group deleted."
	}
	return ""
}
