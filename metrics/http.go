package metrics

import (
	"bytes"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/stratabroker/strata/server"
)

// Options are what a registry shows besides the broker.
type Options struct {
	// ClientMetrics is where the metrics clients push (KIP-714) come
	// from; nil: the server's telemetry store.
	ClientMetrics ClientMetricsSource
}

// NewRegistry returns a registry of the broker's metrics (those without a
// series per topic, partition or group: Handler adds those), Go's runtime
// and process collectors and the clients' pushed metrics.
func NewRegistry(srv *server.Server, o Options) *prometheus.Registry {
	if o.ClientMetrics == nil {
		if m := srv.Telemetry(); m != nil {
			o.ClientMetrics = TelemetrySource(m.Store())
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newBrokerCollector(srv),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if o.ClientMetrics != nil {
		reg.MustRegister(clientCollector{o.ClientMetrics})
	}
	return reg
}

// Routes serves, on mux: /metrics (Handler), /healthz (200 "ok"), /readyz
// (200 "ready", or 503 and srv.Ready's reason) and, with pprofOn,
// net/http/pprof's pages under /debug/pprof/ (404 without).
func Routes(mux *http.ServeMux, srv *server.Server, reg prometheus.Gatherer, pprofOn bool) {
	mux.Handle("GET /metrics", Handler(srv, reg))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.Ready(); err != nil {
			plain(w, http.StatusServiceUnavailable, err.Error()+"\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
	if !pprofOn {
		mux.HandleFunc("GET /debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
			plain(w, http.StatusNotFound, "404 page not found: /debug/pprof needs console.pprof.enable=true\n")
		})
		return
	}
	// Every route names its methods: a console's "GET /" must not
	// conflict with them (net/http's pattern precedence).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// Handler serves a scrape: the families of reg (encoded by expfmt) and
// those with a series per topic, partition or group (state.go), in
// Prometheus' text format 0.0.4, gzip-compressed when the client accepts
// it. As promhttp, it takes name[] parameters to select families and
// ignores any other parameter.
func Handler(srv *server.Server, reg prometheus.Gatherer) http.Handler {
	return &handler{srv: srv, reg: reg}
}

type handler struct {
	srv *server.Server
	reg prometheus.Gatherer
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var want func(string) bool
	if names := r.URL.Query()["name[]"]; len(names) > 0 {
		set := make(map[string]bool, len(names))
		for _, n := range names {
			set[n] = true
		}
		want = func(n string) bool { return set[n] }
	}
	bufp := bufs.Get().(*[]byte)
	defer bufs.Put(bufp)
	buf := bytes.NewBuffer((*bufp)[:0])
	// As promhttp's ContinueOnError: what was gathered is served even
	// when a collector failed.
	mfs, _ := h.reg.Gather()
	enc := expfmt.NewEncoder(buf, textFormat)
	for _, mf := range mfs {
		if want == nil || want(mf.GetName()) {
			enc.Encode(mf)
		}
	}
	b := writeState(buf.Bytes(), h.srv, want)
	*bufp = b
	w.Header().Set("Content-Type", string(textFormat))
	if !acceptsGzip(r) {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Add("Vary", "Accept-Encoding")
	gz := gzips.Get().(*gzip.Writer)
	defer gzips.Put(gz)
	gz.Reset(w)
	gz.Write(b)
	gz.Close()
}

// acceptsGzip reports whether r's Accept-Encoding lists gzip (with a
// non-zero q).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

var (
	bufs  = sync.Pool{New: func() any { return new([]byte) }}
	gzips = sync.Pool{New: func() any {
		gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return gz
	}}
)

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(body))
}
