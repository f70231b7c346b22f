package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

const brokerUsage = `Usage: strata broker [--config server.properties] [--<kafka.property> value ...]

Runs the broker. Configuration comes from, in increasing priority:
  Kafka's defaults (Strata listens on 127.0.0.1:9092 with data in ./data),
  --config FILE            a server.properties file (Kafka's property names),
  KAFKA_* variables        as the apache/kafka image maps them (KAFKA_LOG_DIRS=... sets log.dirs),
  --<property> VALUE       any Kafka property, e.g. --listeners PLAINTEXT://127.0.0.1:9092 --log.dirs ./data
                           (also --<property>=VALUE).
Other flags:
  --log-level LEVEL        debug, info (default), warn or error
  --pprof-addr HOST:PORT   serve net/http/pprof there (profiling; off by default)
  --help                   this text

SIGTERM or SIGINT shuts down cleanly (logs flushed, clean-shutdown marker
written); a second signal exits at once.
`

// brokerFlags is the parsed command line of `strata broker`.
type brokerFlags struct {
	configFile string
	logLevel   slog.Level
	pprofAddr  string
	props      [][2]string // in order
	help       bool
}

var errUsage = errors.New("usage")

func parseBrokerFlags(args []string) (brokerFlags, error) {
	var f brokerFlags
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, ok := strings.CutPrefix(arg, "--")
		if !ok {
			if n, ok1 := strings.CutPrefix(arg, "-"); ok1 && n != "" {
				name, ok = n, true
			}
		}
		if !ok || name == "" {
			return f, fmt.Errorf("%w: unexpected argument %q", errUsage, arg)
		}
		if name == "help" || name == "h" {
			f.help = true
			continue
		}
		name, value, hasValue := strings.Cut(name, "=")
		if !hasValue {
			if i+1 >= len(args) {
				return f, fmt.Errorf("%w: flag --%s needs a value", errUsage, name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "config":
			f.configFile = value
		case "pprof-addr":
			f.pprofAddr = value
		case "log-level":
			if err := f.logLevel.UnmarshalText([]byte(value)); err != nil {
				return f, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, value)
			}
		default:
			f.props = append(f.props, [2]string{name, value})
		}
	}
	return f, nil
}

// brokerConfig builds the configuration: defaults or the file, then the
// environment, then the flags.
func brokerConfig(f brokerFlags, environ []string) (*config.Broker, error) {
	b := config.Defaults()
	if f.configFile != "" {
		var err error
		if b, err = config.Load(f.configFile); err != nil {
			return nil, err
		}
	}
	if err := b.ApplyEnv(environ); err != nil {
		return nil, err
	}
	for _, p := range f.props {
		if err := b.Set(p[0], p[1]); err != nil {
			return nil, fmt.Errorf("--%s: %w", p[0], err)
		}
		// Kafka property names have a dot, except a few (listeners, ...)
		// that config knows; anything else is a mistyped flag.
		if _, unknown := b.Unknown[p[0]]; unknown && !strings.Contains(p[0], ".") {
			return nil, fmt.Errorf("%w: unknown flag --%s", errUsage, p[0])
		}
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

func runBroker(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	f, err := parseBrokerFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "strata broker: %v (run strata broker --help)\n", err)
		return exitUsage
	}
	if f.help {
		fmt.Fprint(stdout, brokerUsage)
		return exitOK
	}
	cfg, err := brokerConfig(f, environ)
	if err != nil {
		fmt.Fprintf(stderr, "strata broker: %v\n", err)
		if errors.Is(err, errUsage) {
			return exitUsage
		}
		return exitError
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))
	for k := range cfg.Unknown {
		log.Warn("property not used by Strata", "property", k)
	}
	if f.pprofAddr != "" {
		ln, err := net.Listen("tcp", f.pprofAddr)
		if err != nil {
			log.Error("pprof listener", "err", err)
			return exitError
		}
		defer ln.Close()
		log.Info("pprof", "addr", ln.Addr().String())
		go http.Serve(ln, nil) // net/http/pprof registers on the default mux
	}
	srv, err := server.Start(cfg, server.Options{Logger: log})
	if err != nil {
		log.Error("start", "err", err)
		return exitError
	}
	stopHTTP, err := startHTTP(&httpEnv{cfg: cfg, srv: srv, log: log})
	if err != nil {
		log.Error("start", "err", err)
		srv.Close()
		return exitError
	}
	defer stopHTTP()
	log.Info("broker started", "node.id", cfg.NodeID, "cluster.id", srv.ClusterID(), "log.dirs", cfg.LogDirs[0], "addr", srv.Addr().String())

	sig := <-signals
	log.Info("shutting down (a second signal exits at once)", "signal", sig.String())
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("shutdown", "err", err)
			return exitError
		}
		log.Info("stopped cleanly")
		return exitOK
	case sig := <-signals:
		log.Warn("exiting immediately", "signal", sig.String())
		return exitError
	}
}
