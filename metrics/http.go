package metrics

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratabroker/strata/server"
)

// Options are what a registry shows besides the broker.
type Options struct {
	// ClientMetrics, when set, adds the metrics clients push (KIP-714).
	ClientMetrics ClientMetricsSource
}

// NewRegistry returns a registry of the broker's metrics, kafka_exporter's
// lag metrics, Go's runtime and process collectors and, with
// o.ClientMetrics, the clients' pushed metrics.
func NewRegistry(srv *server.Server, o Options) *prometheus.Registry {
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

// Routes serves, on mux: /metrics (the registry, promhttp), /healthz (200
// "ok"), /readyz (200 "ready", or 503 and srv.Ready's reason) and, with
// pprofOn, net/http/pprof's pages under /debug/pprof/ (404 without).
func Routes(mux *http.ServeMux, srv *server.Server, reg prometheus.Gatherer, pprofOn bool) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
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

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(body))
}
