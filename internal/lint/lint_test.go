// Package lint holds the repository's lint rules, run as an ordinary test so
// that `make test` and CI enforce them: the import arrows of
// docs/ARCHITECTURE.md, no fmt.Print* outside cmd/, and gofmt.
package lint

import (
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/stratabroker/strata"

// allowed lists, for each package (by its path below the module), the
// project packages its non-test files may import. A package not listed may
// import anything of ours (bench, fuzz, cmd). Prefix "internal/" allows
// every internal package.
var allowed = map[string][]string{
	"internal/vfs":       {},
	"internal/mmap":      {},
	"internal/zerocopy":  {},
	"internal/bufpool":   {},
	"internal/dirlock":   {},
	"internal/metaprops": {"internal/vfs", "internal/props"},
	"internal/scramcred": {"internal/vfs"},
	"internal/kafkaver":  {},
	"internal/javahash":  {},
	"internal/testcerts": {}, // test support: only tests import it
	"recordbatch":        {"internal/"},
	"index":              {"internal/"},
	"segment":            {"index", "recordbatch", "internal/"},
	"partition":          {"segment", "index", "recordbatch", "internal/"},
	"compact":            {"partition", "segment", "index", "recordbatch", "internal/"},
	"topic":              {"compact", "partition", "segment", "index", "recordbatch", "internal/"},
	"group":              {"partition", "segment", "index", "recordbatch", "internal/"},
	"txn":                {"partition", "segment", "index", "recordbatch", "internal/"},
	"config":             {"partition", "segment", "index", "recordbatch", "internal/"},
	"auth":               {"internal/"},
	"acl":                {"internal/"},
	"quota":              {"internal/"},
	"tlsconf":            {},
	"server":             {"acl", "auth", "quota", "group", "txn", "topic", "compact", "config", "telemetry", "tlsconf", "partition", "segment", "index", "recordbatch", "internal/"},
	// The metrics read the broker's state; only cmd/strata imports them.
	"metrics": {"server", "quota", "group", "txn", "topic", "compact", "telemetry", "partition", "segment", "index", "recordbatch", "internal/"},

	// Client metrics (KIP-714): the broker's side and the tool.
	"telemetry":           {"internal/"},
	"tools/clientmetrics": {"tools/cli"},
	// Delegation tokens (KIP-48): kafka-delegation-tokens.sh.
	"tools/delegationtokens": {"tools/cli"},

	// The tools speak the Kafka protocol (kgo, kadm) and share tools/cli;
	// only the log tools read the on-disk formats. tools/tooltest, test
	// support, starts a broker.
	"tools":              {"tools/"},
	"tools/cli":          {"internal/props"},
	"tools/topics":       {"tools/cli"},
	"tools/clients":      {"tools/cli"},
	"tools/groups":       {"tools/cli"},
	"tools/transactions": {"tools/cli"},
	"tools/acls":         {"tools/cli"},
	"tools/perf":         {"tools/cli"},
	"tools/verifiable":   {"tools/cli"},
	"tools/streams":      {"tools/cli"},
	"tools/cluster":      {"tools/cli", "internal/kafkaver"},
	"tools/logs":         {"tools/cli", "segment", "index", "recordbatch", "internal/"},
	"tools/storage":      {"tools/cli", "segment", "index", "recordbatch", "internal/"},
	"tools/jmx":          {"tools/cli"},
	"tools/tooltest":     {"tools/cli", "server", "config"},
	"tools/process":      {"tools/cli"}, // server-stop: reads /proc and the log dirs' pid files, imports no broker package
	// The web console is a Kafka client like the tools (kgo, kadm, kmsg);
	// `strata console` serves it on its own.
	"console":          {"tools/cli"},
	"tools/consolecmd": {"tools/cli", "console"},
}

// storage packages must not know the wire protocol.
var storage = []string{"recordbatch", "index", "segment", "partition"}

var protocolImports = []string{
	"github.com/twmb/franz-go/pkg/kmsg",
	"github.com/twmb/franz-go/pkg/kerr",
}

type file struct {
	pkg     string // directory below the module root, slash-separated
	path    string
	test    bool
	imports []string
	prints  []string // fmt.Print* calls, as "line N: fmt.Println"
}

// check returns every rule violation among files.
func check(files []file) []string {
	var bad []string
	for _, f := range files {
		for _, imp := range f.imports {
			if imp == "golang.org/x/sys/unix" && !strings.HasPrefix(f.pkg, "internal/") {
				bad = append(bad, f.path+": imports golang.org/x/sys/unix outside internal/")
			}
			if f.test {
				continue // tests may use kmsg as an oracle and reach across packages
			}
			if slices.Contains(storage, f.pkg) && slices.Contains(protocolImports, imp) {
				bad = append(bad, f.path+": storage package imports "+imp)
			}
			own, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if own == "config" && f.pkg != "server" && f.pkg != "tools/tooltest" && !strings.HasPrefix(f.pkg, "cmd/") {
				bad = append(bad, f.path+": only cmd, server and tools/tooltest import config")
			}
			if own == "metrics" && !strings.HasPrefix(f.pkg, "cmd/") {
				bad = append(bad, f.path+": only cmd imports metrics")
			}
			rules, ok := allowed[f.pkg]
			if !ok {
				if strings.HasPrefix(f.pkg, "tools/") {
					bad = append(bad, f.path+": "+f.pkg+" has no row in the arrows (allowed)")
				}
				continue
			}
			if !permitted(rules, own) {
				bad = append(bad, f.path+": "+f.pkg+" may not import "+own)
			}
		}
		if !f.test && !strings.HasPrefix(f.pkg, "cmd/") && !strings.HasPrefix(f.pkg, "tools/") && !strings.HasPrefix(f.pkg, "bench") {
			for _, p := range f.prints {
				bad = append(bad, f.path+": "+p+" outside cmd/ (log or return it)")
			}
		}
	}
	return bad
}

func permitted(rules []string, own string) bool {
	for _, r := range rules {
		if own == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(own, r)) {
			return true
		}
	}
	return false
}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", dir, err)
	}
	return dir
}

// load parses every Go file of the module, reporting gofmt differences.
func load(t *testing.T, dir string) (files []file, unformatted []string) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if out, err := format.Source(src); err != nil || string(out) != string(src) {
			unformatted = append(unformatted, rel)
		}
		af, err := parser.ParseFile(fset, path, src, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		full, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		f := file{
			pkg:  filepath.ToSlash(filepath.Dir(rel)),
			path: filepath.ToSlash(rel),
			test: strings.HasSuffix(path, "_test.go"),
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			f.imports = append(f.imports, p)
		}
		f.prints = fmtPrints(fset, full)
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, unformatted
}

// fmtPrints finds calls to fmt.Print, fmt.Printf and fmt.Println.
func fmtPrints(fset *token.FileSet, f *ast.File) []string {
	fmtName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"fmt"` {
			fmtName = "fmt"
			if imp.Name != nil {
				fmtName = imp.Name.Name
			}
		}
	}
	if fmtName == "" {
		return nil
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == fmtName &&
			(sel.Sel.Name == "Print" || sel.Sel.Name == "Printf" || sel.Sel.Name == "Println") {
			out = append(out, "line "+strconv.Itoa(fset.Position(call.Pos()).Line)+": fmt."+sel.Sel.Name)
		}
		return true
	})
	return out
}

func TestImportArrows(t *testing.T) {
	files, _ := load(t, root(t))
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	for _, v := range check(files) {
		t.Error(v)
	}
}

func TestGofmt(t *testing.T) {
	_, unformatted := load(t, root(t))
	for _, f := range unformatted {
		t.Errorf("%s: not gofmt-formatted (run gofmt -w %s)", f, f)
	}
}

// TestCheckCatchesViolations proves the rules fire: each synthetic file
// breaks exactly one rule.
func TestCheckCatchesViolations(t *testing.T) {
	files := []file{
		{pkg: "segment", path: "segment/a.go", imports: []string{"golang.org/x/sys/unix"}},
		{pkg: "partition", path: "partition/b.go", imports: []string{"github.com/twmb/franz-go/pkg/kmsg"}},
		{pkg: "index", path: "index/c.go", imports: []string{module + "/segment"}},
		{pkg: "topic", path: "topic/d.go", imports: []string{module + "/config"}},
		{pkg: "recordbatch", path: "recordbatch/e.go", prints: []string{"line 3: fmt.Println"}},
		{pkg: "tools/topics", path: "tools/topics/f.go", imports: []string{module + "/server", module + "/tools/cli"}},
		{pkg: "tools/clients", path: "tools/clients/g.go", imports: []string{module + "/segment"}},
		{pkg: "tools/newfamily", path: "tools/newfamily/h.go", imports: []string{module + "/tools/cli"}},
		{pkg: "bench", path: "bench/i.go", imports: []string{module + "/metrics"}},
		{pkg: "metrics", path: "metrics/j.go", imports: []string{module + "/config"}},
		// allowed: tests use kmsg, internal uses unix, segment imports index, cmd prints.
		{pkg: "recordbatch", path: "recordbatch/x_test.go", test: true, imports: []string{"github.com/twmb/franz-go/pkg/kmsg"}},
		{pkg: "internal/mmap", path: "internal/mmap/m.go", imports: []string{"golang.org/x/sys/unix"}},
		{pkg: "segment", path: "segment/s.go", imports: []string{module + "/index", module + "/internal/vfs"}},
		{pkg: "cmd/strata", path: "cmd/strata/main.go", imports: []string{module + "/config"}, prints: []string{"line 9: fmt.Println"}},
		{pkg: "tools/logs", path: "tools/logs/l.go", imports: []string{module + "/segment", module + "/tools/cli"}, prints: []string{"line 2: fmt.Println"}},
		{pkg: "tools/tooltest", path: "tools/tooltest/t.go", imports: []string{module + "/server", module + "/config"}},
		{pkg: "metrics", path: "metrics/k.go", imports: []string{module + "/server", module + "/group", module + "/topic"}},
		{pkg: "cmd/strata", path: "cmd/strata/metrics.go", imports: []string{module + "/metrics"}},
	}
	got := check(files)
	want := []string{
		"segment/a.go: imports golang.org/x/sys/unix outside internal/",
		"partition/b.go: storage package imports github.com/twmb/franz-go/pkg/kmsg",
		"index/c.go: index may not import segment",
		"topic/d.go: only cmd, server and tools/tooltest import config",
		"topic/d.go: topic may not import config",
		"recordbatch/e.go: line 3: fmt.Println outside cmd/ (log or return it)",
		"tools/topics/f.go: tools/topics may not import server",
		"tools/clients/g.go: tools/clients may not import segment",
		"tools/newfamily/h.go: tools/newfamily has no row in the arrows (allowed)",
		"bench/i.go: only cmd imports metrics",
		"metrics/j.go: only cmd, server and tools/tooltest import config",
		"metrics/j.go: metrics may not import config",
	}
	if !slices.Equal(got, want) {
		t.Errorf("check:\n got %q\nwant %q", got, want)
	}
}
