package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
)

// testConfig returns a configuration listening on a free loopback port
// with data in dir, with the settings applied ("name", "value", ...).
func testConfig(t *testing.T, dir string, settings ...string) *config.Broker {
	t.Helper()
	cfg := config.Defaults()
	all := append([]string{"listeners", "PLAINTEXT://127.0.0.1:0", "log.dirs", dir}, settings...)
	for i := 0; i+1 < len(all); i += 2 {
		if err := cfg.Set(all[i], all[i+1]); err != nil {
			t.Fatalf("set %s: %v", all[i], err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startServer starts a server with data in a fresh temporary directory;
// the test's cleanup closes it.
func startServer(t *testing.T, settings ...string) *Server {
	t.Helper()
	return startServerIn(t, t.TempDir(), Options{}, settings...)
}

func startServerIn(t *testing.T, dir string, opts Options, settings ...string) *Server {
	t.Helper()
	s, err := Start(testConfig(t, dir, settings...), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a kgo client of s, closed at cleanup.
func newClient(t *testing.T, s *Server, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Addr().String())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func newAdmin(t *testing.T, s *Server) *kadm.Client {
	return kadm.NewClient(newClient(t, s))
}

// rawClient speaks the protocol by hand, for requests no client library
// would send.
type rawClient struct {
	t    *testing.T
	c    net.Conn
	corr int32
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, c: c}
}

// send writes req at its version and returns its correlation ID.
func (rc *rawClient) send(req kmsg.Request) int32 {
	rc.t.Helper()
	rc.corr++
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, rc.corr)
	rc.write(frame)
	return rc.corr
}

func (rc *rawClient) write(b []byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one response frame (without its size).
func (rc *rawClient) readFrame() ([]byte, error) {
	rc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(rc.c, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(rc.c, b)
	return b, err
}

// expectClosed asserts that the server closed the connection.
func (rc *rawClient) expectClosed() {
	rc.t.Helper()
	b, err := rc.readFrame()
	if err == nil {
		rc.t.Fatalf("read a %d-byte response, want the connection closed", len(b))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isReset(err) {
		rc.t.Fatalf("read: %v, want EOF", err)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}

// roundTrip sends req and decodes its response.
func (rc *rawClient) roundTrip(req kmsg.Request) kmsg.Response {
	rc.t.Helper()
	corr := rc.send(req)
	resp, err := rc.readResponse(req, corr)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp
}

func (rc *rawClient) readResponse(req kmsg.Request, corr int32) (kmsg.Response, error) {
	b, err := rc.readFrame()
	if err != nil {
		return nil, fmt.Errorf("read %s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		return nil, fmt.Errorf("correlation ID %d, want %d", got, corr)
	}
	b = b[4:]
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		if len(b) == 0 || b[0] != 0 {
			return nil, fmt.Errorf("response header tagged fields %x, want 00", b[:min(len(b), 1)])
		}
		b = b[1:]
	}
	if err := resp.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("decode %s v%d response: %w", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	return resp, nil
}
