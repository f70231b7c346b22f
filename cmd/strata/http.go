package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

// httpEnv is what the broker's HTTP side is built from.
type httpEnv struct {
	cfg *config.Broker
	srv *server.Server
	log *slog.Logger
	// closers run when the HTTP side stops, after its servers (a
	// capability's clients and samplers).
	closers []func()
}

// onClose registers fn to run when the HTTP side stops.
func (h *httpEnv) onClose(fn func()) { h.closers = append(h.closers, fn) }

// The HTTP capabilities register their routes through these, each from
// its own wiring file (nil: not built into this binary). consoleRoutes
// serves the web console; metricsRoutes /metrics, /healthz, /readyz and,
// with console.pprof.enable, /debug/pprof.
var (
	consoleRoutes func(mux *http.ServeMux, h *httpEnv) error
	metricsRoutes func(mux *http.ServeMux, h *httpEnv) error
)

// startHTTP serves the console on console.listeners (unless
// console.enable=false) and the metrics there too, or on
// metrics.listeners when that is set. A listener that was configured
// explicitly and cannot be bound fails the start, as a Kafka listener
// does; the default console listener (127.0.0.1:8080) that cannot be
// bound is logged and skipped, so a second broker on one machine still
// starts. It returns a function that stops every HTTP server.
func startHTTP(h *httpEnv) (stop func(), err error) {
	var servers []*http.Server
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, s := range servers {
			s.Shutdown(ctx)
		}
		for _, fn := range h.closers {
			fn()
		}
		h.closers = nil
	}
	serve := func(prop, list, what string, mux *http.ServeMux) error {
		addrs, cerr := config.ParseHTTPListeners(prop, list)
		if cerr != nil {
			return cerr
		}
		for _, addr := range addrs {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				if !h.cfg.IsSet(prop) {
					h.log.Warn("HTTP listener not started", "what", what, "property", prop, "addr", addr, "err", err)
					continue
				}
				return fmt.Errorf("%s: %w", prop, err)
			}
			s := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			servers = append(servers, s)
			h.log.Info("listening", "listener", "HTTP", "what", what, "addr", "http://"+ln.Addr().String())
			go func() {
				if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					h.log.Error("HTTP server", "what", what, "err", err)
				}
			}()
		}
		return nil
	}
	mainMux := http.NewServeMux()
	what := ""
	if h.cfg.HTTP.ConsoleEnable && consoleRoutes != nil {
		if err := consoleRoutes(mainMux, h); err != nil {
			return stop, err
		}
		what = "console"
	}
	if metricsRoutes != nil {
		if h.cfg.HTTP.MetricsListeners != "" {
			mm := http.NewServeMux()
			if err := metricsRoutes(mm, h); err != nil {
				return stop, err
			}
			if err := serve("metrics.listeners", h.cfg.HTTP.MetricsListeners, "metrics", mm); err != nil {
				stop()
				return func() {}, err
			}
		} else {
			if err := metricsRoutes(mainMux, h); err != nil {
				return stop, err
			}
			what += "+metrics"
		}
	}
	if what != "" {
		if err := serve("console.listeners", h.cfg.HTTP.ConsoleListeners, what, mainMux); err != nil {
			stop()
			return func() {}, err
		}
	}
	return stop, nil
}
