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

const brokerUsage = `Usage: strata broker [-daemon] [server.properties] [--override property=value]... [--<kafka.property> value ...]
       kafka-server-start.sh [-daemon] server.properties [--override property=value]*

Runs the broker. Configuration comes from, in increasing priority:
  Kafka's defaults (Strata listens on 127.0.0.1:9092 with data in ./data),
  server.properties        a properties file (Kafka's property names), the first
                           argument as Kafka takes it, or --config FILE,
  KAFKA_* variables        as the apache/kafka image maps them (KAFKA_LOG_DIRS=... sets log.dirs),
  --override NAME=VALUE    any Kafka property, as kafka-server-start.sh takes it (repeatable),
  --<property> VALUE       the same, e.g. --listeners PLAINTEXT://127.0.0.1:9092 --log.dirs ./data
                           (also --<property>=VALUE).
Other flags:
  -daemon                  run in the background: standard output and error are appended
                           to $LOG_DIR/server.log (LOG_DIR: ./logs); returns once the broker
                           listens (exit 0) or has failed to start (exit 1)
  --log-level LEVEL        debug, info (default), warn or error
  --pprof-addr HOST:PORT   serve net/http/pprof there (profiling; off by default)
  --help                   this text

SIGTERM or SIGINT shuts down cleanly (logs flushed, clean-shutdown marker
written); a second signal exits at once. strata server-stop
(kafka-server-stop.sh) sends SIGTERM to the brokers of this machine.
`

// brokerFlags is the parsed command line of `strata broker`.
type brokerFlags struct {
	configFile string
	logLevel   slog.Level
	pprofAddr  string
	props      []propFlag // in order
	daemon     bool       // -daemon: detach (daemon.go)
	rest       []string   // the arguments without -daemon, for the detached process
	help       bool
}

// propFlag is one property set on the command line.
type propFlag struct {
	name, value string
	override    bool // --override name=value (any name); else --name value
}

var errUsage = errors.New("usage")

func parseBrokerFlags(args []string) (brokerFlags, error) {
	var f brokerFlags
	positional := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "-daemon" || arg == "--daemon" {
			f.daemon = true
			continue
		}
		f.rest = append(f.rest, arg)
		name, ok := strings.CutPrefix(arg, "--")
		if !ok {
			if n, ok1 := strings.CutPrefix(arg, "-"); ok1 && n != "" {
				name, ok = n, true
			}
		}
		if !ok {
			// The properties file, kafka-server-start.sh's first argument.
			if positional || f.configFile != "" || arg == "" {
				return f, fmt.Errorf("%w: Found non argument parameters: %s", errUsage, arg)
			}
			f.configFile, positional = arg, true
			continue
		}
		if name == "" {
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
			f.rest = append(f.rest, value)
		}
		switch name {
		case "config":
			if positional {
				return f, fmt.Errorf("%w: the properties file is given twice (%s and --config %s)", errUsage, f.configFile, value)
			}
			f.configFile = value
		case "override":
			k, v, ok := strings.Cut(value, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return f, fmt.Errorf("%w: --override %q: want property=value", errUsage, value)
			}
			f.props = append(f.props, propFlag{name: strings.TrimSpace(k), value: v, override: true})
		case "pprof-addr":
			f.pprofAddr = value
		case "log-level":
			if err := f.logLevel.UnmarshalText([]byte(value)); err != nil {
				return f, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, value)
			}
		default:
			f.props = append(f.props, propFlag{name: name, value: value})
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
		if err := b.Set(p.name, p.value); err != nil {
			if p.override {
				return nil, fmt.Errorf("--override %s=%s: %w", p.name, p.value, err)
			}
			return nil, fmt.Errorf("--%s: %w", p.name, err)
		}
		// Kafka property names have a dot, except a few (listeners, ...)
		// that config knows; anything else is a mistyped flag.
		if _, unknown := b.Unknown[p.name]; unknown && !p.override && !strings.Contains(p.name, ".") {
			return nil, fmt.Errorf("%w: unknown flag --%s", errUsage, p.name)
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
	if name := os.Args[0]; isServerStartScript(name) && f.configFile == "" {
		// Run by the kafka-server-start.sh link: Kafka's script requires
		// the properties file.
		fmt.Fprintf(stderr, serverStartUsage, name)
		return exitError
	}
	cfg, err := brokerConfig(f, environ)
	if err == nil && f.daemon {
		// The configuration is checked here so that a mistake is reported
		// on the terminal; the detached process reads it again.
		return runDaemon(f.rest, environ, stdout, stderr, signals)
	}
	if err != nil {
		fmt.Fprintf(stderr, "strata broker: %v\n", err)
		if errors.Is(err, errUsage) {
			return exitUsage
		}
		return exitError
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))
	for k := range cfg.Unknown {
		if config.IsSSLProperty(k) || config.IsSASLProperty(k) || config.IsAuthorizerProperty(k) {
			continue // read by the SSL listeners (config.Broker.SSL), the SASL ones (package auth) and the authorizer (package acl)
		}
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
		stopHTTP()
		srv.Close()
		return exitError
	}
	log.Info("broker started", "node.id", cfg.NodeID, "cluster.id", srv.ClusterID(), "log.dirs", cfg.LogDirs[0], "addr", srv.Addr().String())
	if err := notifyStarted(environ); err != nil {
		log.Warn("telling the starting process", "err", err)
	}

	sig := <-signals
	log.Info("shutting down (a second signal exits at once)", "signal", sig.String())
	done := make(chan error, 1)
	go func() {
		stopHTTP() // the console and metrics first: they are the broker's clients
		done <- srv.Close()
	}()
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
