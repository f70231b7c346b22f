package partition

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// gateFS wraps an FS and holds the first OpenRW, or the first WriteAt, of a
// file whose name ends with a chosen suffix until the test opens the gate:
// a way to stop a goroutine inside a given I/O call and see what others
// can do meanwhile.
type gateFS struct {
	vfs.FS
	mu    sync.Mutex
	gates []*gate
}

type gate struct {
	op      string // "open" or "write"
	suffix  string
	armed   bool
	entered chan struct{} // closed when a call reaches the gate
	release chan struct{} // closed to let it through
}

func newGateFS(base vfs.FS) *gateFS { return &gateFS{FS: base} }

// hold arms a gate for the next op ("open": OpenRW; "write": WriteAt) on a
// file whose name ends with suffix. The test's cleanup opens it.
func (g *gateFS) hold(t *testing.T, op, suffix string) *gate {
	gt := &gate{op: op, suffix: suffix, armed: true, entered: make(chan struct{}), release: make(chan struct{})}
	g.mu.Lock()
	g.gates = append(g.gates, gt)
	g.mu.Unlock()
	t.Cleanup(gt.open)
	return gt
}

var gateOpenMu sync.Mutex

// open lets the held call (and any later one) through. Idempotent.
func (gt *gate) open() {
	gateOpenMu.Lock()
	defer gateOpenMu.Unlock()
	select {
	case <-gt.release:
	default:
		close(gt.release)
	}
}

// wait waits for a call to reach the gate.
func (gt *gate) wait(t *testing.T) {
	t.Helper()
	select {
	case <-gt.entered:
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing reached the %s gate on *%s", gt.op, gt.suffix)
	}
}

func (g *gateFS) pass(op, name string) {
	g.mu.Lock()
	var hit *gate
	for _, gt := range g.gates {
		if gt.armed && gt.op == op && strings.HasSuffix(name, gt.suffix) {
			gt.armed = false
			hit = gt
			break
		}
	}
	g.mu.Unlock()
	if hit != nil {
		close(hit.entered)
		<-hit.release
	}
}

func (g *gateFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &gateFile{File: f, g: g}, nil
}

func (g *gateFS) Create(name string) (vfs.File, error) { return g.wrap(g.FS.Create(name)) }
func (g *gateFS) Open(name string) (vfs.File, error)   { return g.wrap(g.FS.Open(name)) }
func (g *gateFS) OpenRW(name string) (vfs.File, error) {
	g.pass("open", name)
	return g.wrap(g.FS.OpenRW(name))
}

type gateFile struct {
	vfs.File
	g *gateFS
}

func (f *gateFile) WriteAt(p []byte, off int64) (int, error) {
	f.g.pass("write", f.Name())
	return f.File.WriteAt(p, off)
}
