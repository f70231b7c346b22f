package consolecmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/stratabroker/strata/console"
	"github.com/stratabroker/strata/tools/cli"
)

const usage = `Usage: strata console --bootstrap-server HOST:PORT [--command-config FILE]
                      [--listen 127.0.0.1:8080] [--read-only]

Serves the web console against a Kafka-compatible cluster until interrupted.
`

func runConsole(args []string, e *cli.Env) int {
	f := cli.NewFlags("console", usage)
	bootstrap := f.Bootstrap()
	cc := f.CommandConfig()
	listen := f.String("listen", "127.0.0.1:8080", "HOST:PORT to serve the console on (port 0: a free port)")
	readOnly := f.Bool("read-only", false, "hide and refuse every write action")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if *bootstrap == "" {
		return f.UsageError(e, "--bootstrap-server is required")
	}
	opts, code := cc.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	ctx, cancel := e.Context()
	defer cancel()
	probe, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "console", err)
	}
	probe.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return cli.Fail(e, "console", fmt.Errorf("--listen: %w", err))
	}
	c, err := console.New(console.Options{
		Seeds:      cli.SplitList(*bootstrap),
		ClientOpts: append(e.ClientOpts[:len(e.ClientOpts):len(e.ClientOpts)], opts...),
		ReadOnly:   *readOnly,
		Info: console.Info{Version: console.BuildVersion(), Started: e.Now(),
			Listeners: []string{"http://" + ln.Addr().String() + " (console)"}},
		Logger: slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		ln.Close()
		return cli.Fail(e, "console", err)
	}
	defer c.Close()
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.Stdout, "Strata console of %s on http://%s\n", *bootstrap, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
		<-done
		return cli.ExitOK
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return cli.ExitOK
		}
		return cli.Fail(e, "console", err)
	}
}
