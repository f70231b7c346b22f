package server

import (
	"net"
	"sync"
)

// Connection limits, with Kafka's names and defaults: max.connections
// (total, default unlimited) and max.connections.per.ip (default
// unlimited). A connection over either limit is closed as soon as it is
// accepted, before anything is read from it, as Kafka closes a connection
// over its per-IP quota (Kafka's acceptor waits for a free slot under
// max.connections instead; closing keeps the accept loop from stalling).

// connLimits counts a Server's open connections, in total and per IP. The
// zero value is ready.
type connLimits struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

// connIP is the host part of a connection's remote address.
func connIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// admit counts c in and reports whether it is within max.connections and
// max.connections.per.ip; a connection that is not admitted is not counted.
func (s *Server) admit(c *conn) bool {
	l := &s.limits
	ip := connIP(c.remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP == nil {
		l.perIP = map[string]int{}
	}
	perIP := s.cfg.MaxConnectionsPerIP
	if n, ok := s.ipOverrides[ip]; ok {
		perIP = n // max.connections.per.ip.overrides
	}
	if l.total >= s.cfg.MaxConnections || l.perIP[ip] >= perIP {
		s.log.Warn("connection refused: over max.connections or max.connections.per.ip",
			"remote", c.remote, "open", l.total, "openFromIP", l.perIP[ip],
			"max.connections", s.cfg.MaxConnections, "max.connections.per.ip", perIP)
		return false
	}
	l.total++
	l.perIP[ip]++
	return true
}

// release counts an admitted connection out.
func (s *Server) release(c *conn) {
	l := &s.limits
	ip := connIP(c.remote)
	l.mu.Lock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
	l.mu.Unlock()
}
