package cli

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

// Env is what a subcommand runs with: its streams, signals, clock and the
// bounds on waiting for brokers. Tests build their own.
type Env struct {
	Environ []string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Signals <-chan os.Signal
	// IsTTY: stderr is a terminal, so long work may draw progress there.
	IsTTY bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// ReachTimeout bounds reaching a first broker (0: 5 s).
	ReachTimeout time.Duration
	// OpTimeout bounds one Admin operation (0: 30 s).
	OpTimeout time.Duration
	// ProgressMin is the size from which dump-log shows progress (0: 64 MiB).
	ProgressMin int64
	// ClientOpts are added to every client (tests use them for fake clocks
	// or hooks).
	ClientOpts []kgo.Opt
}

func (e *Env) Init() {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.ReachTimeout == 0 {
		e.ReachTimeout = 5 * time.Second
	}
	if e.OpTimeout == 0 {
		e.OpTimeout = 30 * time.Second
	}
}

// Context returns a context cancelled by the first signal, and its cancel.
func (e *Env) Context() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if e.Signals != nil {
		go func() {
			select {
			case <-e.Signals:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Exit codes of every tool.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // bad command line
)

// Errors of the tools.
var (
	// errUnreachable: no broker of --bootstrap-server answered.
	ErrUnreachable = errors.New("cannot reach a broker")
	// errNotFound: a topic or group named on the command line does not exist.
	ErrNotFound = errors.New("does not exist")
)

const DefaultBootstrap = "localhost:9092"

// Strs is a repeatable string flag: --property a=b --property c=d.
type Strs []string

func (s *Strs) String() string     { return strings.Join(*s, ",") }
func (s *Strs) Set(v string) error { *s = append(*s, v); return nil }

// Flags is a subcommand's flag set, parsed the way Kafka's tools take
// flags: --name value, --name=value, boolean --name, repeatable flags, and
// flags that take several values (--producer-props a=1 b=2).
type Flags struct {
	*flag.FlagSet
	cmd   string
	usage string
	multi map[string]bool
	// aliases maps a short name to its flag's long name.
	aliases map[string]string
}

func NewFlags(cmd, usage string) *Flags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Flags{FlagSet: fs, cmd: cmd, usage: usage, multi: map[string]bool{}}
}

// MultiValue declares a repeatable flag that also takes the values after
// it up to the next flag, as Kafka's argparse nargs("+") flags do.
func (f *Flags) MultiValue(name, help string) *Strs {
	v := new(Strs)
	f.Var(v, name, help)
	f.multi[name] = true
	return v
}

// Bootstrap declares --bootstrap-server.
func (f *Flags) Bootstrap() *string {
	return f.String("bootstrap-server", DefaultBootstrap, "the broker(s) to Connect to, host:port[,host:port...]")
}

// Parse parses args. On --help it prints the usage and returns ExitOK with
// ok false; on a bad command line it prints one line and returns ExitUsage.
func (f *Flags) Parse(args []string, e *Env) (ok bool, code int) {
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
	err := f.FlagSet.Parse(expanded)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.Stdout, f.usage)
		return false, ExitOK
	}
	if err != nil {
		msg := strings.Replace(err.Error(), "flag provided but not defined: -", "unknown flag --", 1)
		return false, f.UsageError(e, "%s", msg)
	}
	if f.NArg() > 0 {
		return false, f.UsageError(e, "unexpected argument %q", f.Arg(0))
	}
	return true, ExitOK
}

// set reports whether the flag was given on the command line.
func (f *Flags) IsSet(name string) bool {
	found := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name || f.aliases[fl.Name] == name {
			found = true
		}
	})
	return found
}

// Alias declares short (as -t) as another name of the declared flag long
// (as --cluster-id), as Kafka's argparse tools take both; IsSet(long) is
// true when either was given.
func (f *Flags) Alias(short, long string) {
	fl := f.Lookup(long)
	if fl == nil {
		panic("cli: alias of undeclared flag " + long)
	}
	f.Var(fl.Value, short, fl.Usage)
	if f.aliases == nil {
		f.aliases = map[string]string{}
	}
	f.aliases[short] = long
	if f.multi[long] {
		f.multi[short] = true
	}
}

// UsageError prints a one-line usage error and returns ExitUsage.
func (f *Flags) UsageError(e *Env, format string, args ...any) int {
	fmt.Fprintf(e.Stderr, "strata %s: %s (run strata %s --help)\n", f.cmd, fmt.Sprintf(format, args...), f.cmd)
	return ExitUsage
}

// Fail prints err on one line and returns ExitError.
func Fail(e *Env, cmd string, err error) int {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(e.Stderr, "strata %s: %s\n", cmd, msg)
	return ExitError
}

// ParseProps parses k=v strings in order; later keys win.
func ParseProps(list []string) (map[string]string, error) {
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

func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Connect returns a client of the brokers in bootstrap once one of them
// answered, or ErrUnreachable within env.ReachTimeout: kgo alone retries
// forever, so the tools check once and Fail fast.
func Connect(ctx context.Context, e *Env, bootstrap string, opts ...kgo.Opt) (*kgo.Client, error) {
	seeds := SplitList(bootstrap)
	if len(seeds) == 0 {
		return nil, fmt.Errorf("%w: --bootstrap-server is empty", ErrUnreachable)
	}
	all := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(e.ReachTimeout),
		kgo.RetryTimeout(e.OpTimeout),
		kgo.ClientID("strata-tools"),
	}
	all = append(all, e.ClientOpts...)
	all = append(all, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, e.ReachTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %v", ErrUnreachable, bootstrap, err)
	}
	return cl, nil
}

// Admin wraps cl in a kadm client whose broker-side timeouts match env.
func Admin(e *Env, cl *kgo.Client) *kadm.Client {
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(e.OpTimeout / time.Millisecond))
	return adm
}

// OpContext bounds one Admin operation.
func (e *Env) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.OpTimeout)
}

// ErrText is an error as Kafka's tools print it: a Kafka error code's
// description rather than its Go wrapping.
func ErrText(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message + ": " + ke.Description
	}
	return err.Error()
}

// ParseInt32List parses "0,1,4-6".
func ParseInt32List(s string) ([]int32, error) {
	var out []int32
	for _, p := range SplitList(s) {
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

// ClientFlags are the flags that configure a tool's Kafka client, as
// Kafka's tools take them: files of Java properties (--command-config, and
// the older --consumer.config or --producer.config) and key=value
// properties (--command-property, and the older --consumer-property or
// --producer-property), which win over the files.
type ClientFlags struct {
	fileFlags []string
	files     []*string
	props     []*Strs
	// FromFile and FromArgs are the properties loaded, apart.
	FromFile, FromArgs map[string]string
}

// ClientConfig declares the file flags and the repeatable property flags.
func (f *Flags) ClientConfig(fileFlags, propFlags []string) *ClientFlags {
	c := &ClientFlags{fileFlags: fileFlags}
	for _, n := range fileFlags {
		c.files = append(c.files, f.String(n, "", ""))
	}
	for _, n := range propFlags {
		c.props = append(c.props, f.MultiValue(n, ""))
	}
	return c
}

// CommandConfig declares --command-config, the Admin client's properties.
func (f *Flags) CommandConfig() *ClientFlags {
	return f.ClientConfig([]string{"command-config"}, nil)
}

// Load reads the file (at most one of the file flags) and the command
// line's properties, and returns them merged.
func (c *ClientFlags) Load(f *Flags) (map[string]string, error) {
	c.FromFile, c.FromArgs = map[string]string{}, map[string]string{}
	given := ""
	for i, n := range c.fileFlags {
		if *c.files[i] == "" {
			continue
		}
		if given != "" {
			return nil, fmt.Errorf("options --%s and --%s cannot be specified together", given, n)
		}
		given = n
		m, err := LoadPropsFile(*c.files[i])
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", n, err)
		}
		c.FromFile = m
	}
	for _, p := range c.props {
		m, err := ParseProps(*p)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			c.FromArgs[k] = v
		}
	}
	all := make(map[string]string, len(c.FromFile)+len(c.FromArgs))
	for k, v := range c.FromFile {
		all[k] = v
	}
	for k, v := range c.FromArgs {
		all[k] = v
	}
	return all, nil
}

// AdminOptions loads --command-config as Admin client options, warning of
// properties that are not used. A bad file or value is a usage error:
// code is then ExitUsage, printed.
func (c *ClientFlags) AdminOptions(e *Env, f *Flags) (opts []kgo.Opt, code int) {
	props, err := c.Load(f)
	if err != nil {
		return nil, f.UsageError(e, "%v", err)
	}
	opts, ignored, err := AdminOpts(e, props)
	if err != nil {
		return nil, f.UsageError(e, "%v", err)
	}
	WarnUnused(e, f.cmd, "admin", ignored)
	return opts, ExitOK
}

// WarnUnused prints one line per client property the tool does not use.
func WarnUnused(e *Env, cmd, kind string, keys []string) {
	for _, k := range keys {
		fmt.Fprintf(e.Stderr, "strata %s: %s property %s is not used\n", cmd, kind, k)
	}
}
