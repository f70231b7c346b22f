package server

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/topic"
)

// What the metrics (and health checks) read of a running Server besides
// its counters: the registry, the group coordinator's state, the log dirs'
// space, the listeners' connections. Each reads current state and takes
// no lock a request path holds.

// ListenerStats are one listener's connection counts.
type ListenerStats struct {
	Name     string // e.g. PLAINTEXT
	Open     int64  // connections open now
	Accepted int64  // connections accepted so far
}

// Listeners returns every listener's connection counts, in the order of
// listeners.
func (s *Server) Listeners() []ListenerStats {
	out := make([]ListenerStats, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = ListenerStats{Name: l.name, Open: l.open.Load(), Accepted: l.accepted.Load()}
	}
	return out
}

// LongPolls is how many Fetch requests wait in their long poll now.
func (s *Server) LongPolls() int64 { return s.reqStats.longPolls.Load() }

// Registry is the server's topic registry (read it; changes go through
// the Kafka APIs).
func (s *Server) Registry() *topic.Registry { return s.topics }

// GroupStats copies the group coordinator's state. ok is false when there
// is no coordinator (no group request yet and no __consumer_offsets) or it
// has stopped; it is never started by this call.
func (s *Server) GroupStats() (st group.Stats, ok bool) {
	s.groupsMu.Lock()
	g := s.groups
	s.groupsMu.Unlock()
	if g == nil {
		return st, false
	}
	return g.Stats()
}

// LogDirStats are one log dir's filesystem space, -1 when it cannot be
// read.
type LogDirStats struct {
	Dir           string
	Total, Usable int64
}

// LogDirs returns the space of every log dir, in the order of log.dirs.
func (s *Server) LogDirs() []LogDirStats {
	out := make([]LogDirStats, len(s.cfg.LogDirs))
	for i, d := range s.cfg.LogDirs {
		d = filepath.Clean(d)
		total, usable := diskSpace(d)
		out[i] = LogDirStats{Dir: d, Total: total, Usable: usable}
	}
	return out
}

// ErrNotReady is wrapped by Ready's errors.
var ErrNotReady = errors.New("not ready")

// Ready reports whether the server serves: its log dirs are loaded (Start
// returned) and readable, and every listener's accept loop runs. The
// error says why not.
func (s *Server) Ready() error {
	select {
	case <-s.done:
		return fmt.Errorf("%w: shutting down", ErrNotReady)
	default:
	}
	for _, l := range s.listeners {
		if !l.serving.Load() {
			return fmt.Errorf("%w: listener %s (%s) is not accepting", ErrNotReady, l.name, l.ln.Addr())
		}
	}
	for _, d := range s.cfg.LogDirs {
		if fi, err := s.fs.Stat(d); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: log dir %s cannot be read", ErrNotReady, filepath.Clean(d))
		}
	}
	return nil
}
