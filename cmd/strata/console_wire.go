package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/console"
)

// The embedded console: the same console as `strata console`, a Kafka
// client of this broker, which dials the broker's own first listener over
// loopback whatever address the metadata advertises.
func init() {
	consoleRoutes = func(mux *http.ServeMux, h *httpEnv) error {
		addr := loopback(h.srv.Addr())
		listeners := []string{h.cfg.Listeners}
		if hl, err := config.ParseHTTPListeners("console.listeners", h.cfg.HTTP.ConsoleListeners); err == nil {
			for _, l := range hl {
				listeners = append(listeners, "http://"+l+" (console)")
			}
		}
		var d net.Dialer
		c, err := console.New(console.Options{
			Seeds: []string{addr},
			ClientOpts: []kgo.Opt{kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			})},
			ReadOnly: h.cfg.HTTP.ConsoleReadOnly,
			Info: console.Info{Version: console.BuildVersion(), Embedded: true, NodeID: h.cfg.NodeID,
				Started: time.Now(), Listeners: listeners},
			Logger: h.log,
		})
		if err != nil {
			return err
		}
		c.Register(mux)
		h.onClose(c.Close)
		return nil
	}
}

// loopback is addr with an unspecified host (0.0.0.0, ::) made loopback.
func loopback(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
