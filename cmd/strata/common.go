package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// env is what a subcommand runs with: its streams, signals, clock and the
// bounds on waiting for brokers. Tests build their own.
type env struct {
	environ []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	signals <-chan os.Signal
	// isTTY: stderr is a terminal, so long work may draw progress there.
	isTTY bool
	// now is the clock (nil: time.Now).
	now func() time.Time
	// reachTimeout bounds reaching a first broker (0: 5 s).
	reachTimeout time.Duration
	// opTimeout bounds one admin operation (0: 30 s).
	opTimeout time.Duration
	// progressMin is the size from which dump-log shows progress (0: 64 MiB).
	progressMin int64
	// clientOpts are added to every client (tests use them for fake clocks
	// or hooks).
	clientOpts []kgo.Opt
}

func (e *env) init() {
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	if e.stdout == nil {
		e.stdout = io.Discard
	}
	if e.stderr == nil {
		e.stderr = io.Discard
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.reachTimeout == 0 {
		e.reachTimeout = 5 * time.Second
	}
	if e.opTimeout == 0 {
		e.opTimeout = 30 * time.Second
	}
}

// context returns a context cancelled by the first signal, and its cancel.
func (e *env) context() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if e.signals != nil {
		go func() {
			select {
			case <-e.signals:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Errors of the tools.
var (
	// errUnreachable: no broker of --bootstrap-server answered.
	errUnreachable = errors.New("cannot reach a broker")
	// errNotFound: a topic or group named on the command line does not exist.
	errNotFound = errors.New("does not exist")
)

const defaultBootstrap = "localhost:9092"

// strs is a repeatable string flag: --property a=b --property c=d.
type strs []string

func (s *strs) String() string     { return strings.Join(*s, ",") }
func (s *strs) Set(v string) error { *s = append(*s, v); return nil }

// cmdFlags is a subcommand's flag set, parsed the way Kafka's tools take
// flags: --name value, --name=value, boolean --name, repeatable flags, and
// flags that take several values (--producer-props a=1 b=2).
type cmdFlags struct {
	*flag.FlagSet
	cmd   string
	usage string
	multi map[string]bool
}

func newFlags(cmd, usage string) *cmdFlags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, cmd: cmd, usage: usage, multi: map[string]bool{}}
}

// multiValue declares a repeatable flag that also takes the values after
// it up to the next flag, as Kafka's argparse nargs("+") flags do.
func (f *cmdFlags) multiValue(name, help string) *strs {
	v := new(strs)
	f.Var(v, name, help)
	f.multi[name] = true
	return v
}

// bootstrap declares --bootstrap-server.
func (f *cmdFlags) bootstrap() *string {
	return f.String("bootstrap-server", defaultBootstrap, "the broker(s) to connect to, host:port[,host:port...]")
}

// parse parses args. On --help it prints the usage and returns exitOK with
// ok false; on a bad command line it prints one line and returns exitUsage.
func (f *cmdFlags) parse(args []string, e *env) (ok bool, code int) {
	var expanded []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && !strings.Contains(name, "=") && f.multi[name] {
			expanded = append(expanded, a)
			if i+1 < len(args) {
				expanded = append(expanded, args[i+1])
				i++
			}
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				expanded = append(expanded, a, args[i+1])
				i++
			}
			continue
		}
		expanded = append(expanded, a)
	}
	err := f.Parse(expanded)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, f.usage)
		return false, exitOK
	}
	if err != nil {
		msg := strings.Replace(err.Error(), "flag provided but not defined: -", "unknown flag --", 1)
		return false, f.usageError(e, "%s", msg)
	}
	if f.NArg() > 0 {
		return false, f.usageError(e, "unexpected argument %q", f.Arg(0))
	}
	return true, exitOK
}

// set reports whether the flag was given on the command line.
func (f *cmdFlags) set(name string) bool {
	found := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			found = true
		}
	})
	return found
}

// usageError prints a one-line usage error and returns exitUsage.
func (f *cmdFlags) usageError(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "strata %s: %s (run strata %s --help)\n", f.cmd, fmt.Sprintf(format, args...), f.cmd)
	return exitUsage
}

// fail prints err on one line and returns exitError.
func fail(e *env, cmd string, err error) int {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(e.stderr, "strata %s: %s\n", cmd, msg)
	return exitError
}

// parseProps parses k=v strings in order; later keys win.
func parseProps(list []string) (map[string]string, error) {
	m := make(map[string]string, len(list))
	for _, p := range list {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid property %q: want key=value", p)
		}
		m[k] = v
	}
	return m, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// connect returns a client of the brokers in bootstrap once one of them
// answered, or errUnreachable within env.reachTimeout: kgo alone retries
// forever, so the tools check once and fail fast.
func connect(ctx context.Context, e *env, bootstrap string, opts ...kgo.Opt) (*kgo.Client, error) {
	seeds := splitList(bootstrap)
	if len(seeds) == 0 {
		return nil, fmt.Errorf("%w: --bootstrap-server is empty", errUnreachable)
	}
	all := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(e.reachTimeout),
		kgo.RetryTimeout(e.opTimeout),
		kgo.ClientID("strata-tools"),
	}
	all = append(all, e.clientOpts...)
	all = append(all, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, e.reachTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %v", errUnreachable, bootstrap, err)
	}
	return cl, nil
}

// admin wraps cl in a kadm client whose broker-side timeouts match env.
func admin(e *env, cl *kgo.Client) *kadm.Client {
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(e.opTimeout / time.Millisecond))
	return adm
}

// opContext bounds one admin operation.
func (e *env) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.opTimeout)
}

// errText is an error as Kafka's tools print it: a Kafka error code's
// description rather than its Go wrapping.
func errText(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message + ": " + ke.Description
	}
	return err.Error()
}

// parseInt32List parses "0,1,4-6".
func parseInt32List(s string) ([]int32, error) {
	var out []int32
	for _, p := range splitList(s) {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.ParseInt(lo, 10, 32)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("invalid partition %q", p)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 32); err != nil || b < a {
				return nil, fmt.Errorf("invalid partition range %q", p)
			}
		}
		if b-a > 1<<20 {
			return nil, fmt.Errorf("partition range %q too large", p)
		}
		for i := a; i <= b; i++ {
			out = append(out, int32(i))
		}
	}
	return out, nil
}

// clientFlags are the flags that configure a tool's Kafka client, as
// Kafka's tools take them: files of Java properties (--command-config, and
// the older --consumer.config or --producer.config) and key=value
// properties (--command-property, and the older --consumer-property or
// --producer-property), which win over the files.
type clientFlags struct {
	fileFlags []string
	files     []*string
	props     []*strs
	// fromFile and fromArgs are the properties loaded, apart.
	fromFile, fromArgs map[string]string
}

// clientConfig declares the file flags and the repeatable property flags.
func (f *cmdFlags) clientConfig(fileFlags, propFlags []string) *clientFlags {
	c := &clientFlags{fileFlags: fileFlags}
	for _, n := range fileFlags {
		c.files = append(c.files, f.String(n, "", ""))
	}
	for _, n := range propFlags {
		c.props = append(c.props, f.multiValue(n, ""))
	}
	return c
}

// commandConfig declares --command-config, the admin client's properties.
func (f *cmdFlags) commandConfig() *clientFlags {
	return f.clientConfig([]string{"command-config"}, nil)
}

// load reads the file (at most one of the file flags) and the command
// line's properties, and returns them merged.
func (c *clientFlags) load(f *cmdFlags) (map[string]string, error) {
	c.fromFile, c.fromArgs = map[string]string{}, map[string]string{}
	given := ""
	for i, n := range c.fileFlags {
		if *c.files[i] == "" {
			continue
		}
		if given != "" {
			return nil, fmt.Errorf("options --%s and --%s cannot be specified together", given, n)
		}
		given = n
		m, err := loadPropsFile(*c.files[i])
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", n, err)
		}
		c.fromFile = m
	}
	for _, p := range c.props {
		m, err := parseProps(*p)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			c.fromArgs[k] = v
		}
	}
	all := make(map[string]string, len(c.fromFile)+len(c.fromArgs))
	for k, v := range c.fromFile {
		all[k] = v
	}
	for k, v := range c.fromArgs {
		all[k] = v
	}
	return all, nil
}

// adminOptions loads --command-config as admin client options, warning of
// properties that are not used. A bad file or value is a usage error:
// code is then exitUsage, printed.
func (c *clientFlags) adminOptions(e *env, f *cmdFlags) (opts []kgo.Opt, code int) {
	props, err := c.load(f)
	if err != nil {
		return nil, f.usageError(e, "%v", err)
	}
	opts, ignored, err := adminOpts(e, props)
	if err != nil {
		return nil, f.usageError(e, "%v", err)
	}
	warnUnused(e, f.cmd, "admin", ignored)
	return opts, exitOK
}

// warnUnused prints one line per client property the tool does not use.
func warnUnused(e *env, cmd, kind string, keys []string) {
	for _, k := range keys {
		fmt.Fprintf(e.stderr, "strata %s: %s property %s is not used\n", cmd, kind, k)
	}
}
