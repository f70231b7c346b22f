package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/console"
	"github.com/stratabroker/strata/server"
)

// The embedded console: the same console as `strata console`, a Kafka
// client of this broker, which dials the broker's own first PLAINTEXT
// listener over loopback whatever address the metadata advertises. A
// broker with no PLAINTEXT listener (SSL or SASL only) serves no embedded
// console: `strata console` with client properties reaches it instead.
func init() {
	consoleRoutes = func(mux *http.ServeMux, h *httpEnv) error {
		plain := h.srv.ProtocolAddr("PLAINTEXT")
		if plain == nil {
			h.log.Warn("the embedded console needs a PLAINTEXT listener; none is configured, so it is not served (run `strata console` with --command-config)")
			return nil
		}
		addr := loopback(plain)
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
			Broker: brokerState{h.srv},
		})
		if err != nil {
			return err
		}
		c.Register(mux)
		h.onClose(c.Close)
		return nil
	}
}

// brokerState is the embedded console's console.BrokerState: what the
// Kafka protocol does not carry, read from this broker's topic registry.
type brokerState struct{ srv *server.Server }

// CleanerState is the log cleaner's state of topic's partitions
// (compact.Manager.Stats through the registry that owns the cleaner).
func (b brokerState) CleanerState(topic string) map[int32]console.CleanerPartition {
	out := map[int32]console.CleanerPartition{}
	prefix := topic + "-"
	for _, p := range b.srv.Registry().CleanerStats().Partitions {
		rest, ok := strings.CutPrefix(p.Name, prefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(rest, 10, 32)
		if err != nil || n < 0 {
			continue // another topic's ("a-b-0" for "a")
		}
		out[int32(n)] = console.CleanerPartition{DirtyRatio: p.DirtyRatio, FirstDirty: p.FirstDirty, LastPass: p.LastPass,
			BytesSaved: p.BytesSaved, Uncleanable: p.Uncleanable, UncleanableBytes: p.UncleanableBytes, Cleaning: p.Cleaning}
	}
	return out
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
