package main

import (
	"net/http"

	"github.com/stratabroker/strata/metrics"
)

// The metrics' routes: /metrics, /healthz, /readyz and /debug/pprof
// (console.pprof.enable) on the console's listener or metrics.listeners.
func init() {
	metricsRoutes = func(mux *http.ServeMux, h *httpEnv) error {
		reg := metrics.NewRegistry(h.srv, metrics.Options{})
		metrics.Routes(mux, h.srv, reg, h.cfg.HTTP.ConsolePprofEnable)
		return nil
	}
}
