package server

import (
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestSASLFailedLoginStorm: 1,000 failed logins (50 at a time, each
// answered after the default 100 ms delay and closed) while an
// authenticated connection keeps sending Metadata: its p99 stays under the
// delay, every failure is counted, and the broker keeps serving.
func TestSASLFailedLoginStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	s := startSASL(t, Options{}, "connection.failed.authentication.delay.ms", "100")
	good := dialRaw(t, s)
	if r := rawAuth(t, good, "alice", "alice-secret"); r.ErrorCode != 0 {
		t.Fatalf("good login: %d", r.ErrorCode)
	}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	ping := func() time.Duration {
		start := time.Now()
		good.roundTrip(md)
		return time.Since(start)
	}
	var base []time.Duration
	for range 200 {
		base = append(base, ping())
	}

	const total, workers = 1000, 50
	var wg sync.WaitGroup
	errs := make(chan string, total)
	jobs := make(chan int, total)
	for i := range total {
		jobs <- i
	}
	close(jobs)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if msg := failOnce(s); msg != "" {
					errs <- msg
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var during []time.Duration
loop:
	for {
		select {
		case <-done:
			break loop
		default:
			during = append(during, ping())
		}
	}
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	p := func(d []time.Duration, q float64) time.Duration {
		slices.Sort(d)
		return d[int(float64(len(d)-1)*q)]
	}
	t.Logf("Metadata round trip on the good connection: before p50 %v p99 %v; during 1,000 failed logins (%d requests) p50 %v p99 %v",
		p(base, 0.5), p(base, 0.99), len(during), p(during, 0.5), p(during, 0.99))
	if len(during) < 10 || p(during, 0.99) >= 100*time.Millisecond {
		t.Fatalf("good connection: %d requests, p99 %v during the storm", len(during), p(during, 0.99))
	}
	var failures int64
	for _, a := range s.AuthCounts() {
		failures += a.Failures
	}
	if failures != total {
		t.Fatalf("failures counted %d, want %d", failures, total)
	}
	ping() // still served
}

// failOnce logs in with a wrong password on a new connection and checks
// the answer (after the delay) and the close; "" when all went as Kafka.
func failOnce(s *Server) string {
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	rc := &rawClient{t: nil, c: c}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	if _, err := rc.tryRoundTrip(hs); err != nil {
		return err.Error()
	}
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.Version, au.SASLAuthBytes = 1, []byte("\x00alice\x00wrong")
	start := time.Now()
	resp, err := rc.tryRoundTrip(au)
	if err != nil {
		return err.Error()
	}
	if r := resp.(*kmsg.SASLAuthenticateResponse); r.ErrorCode != kerr.SaslAuthenticationFailed.Code {
		return "wrong password answered " + kerr.ErrorForCode(r.ErrorCode).Error()
	}
	if time.Since(start) < 100*time.Millisecond {
		return "failure answered before connection.failed.authentication.delay.ms"
	}
	if _, err := rc.readFrame(); err == nil {
		return "connection still open after the failure"
	}
	return ""
}

// tryRoundTrip is roundTrip without a *testing.T (for other goroutines).
func (rc *rawClient) tryRoundTrip(req kmsg.Request) (kmsg.Response, error) {
	rc.corr++
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, rc.corr)
	if _, err := rc.c.Write(frame); err != nil {
		return nil, err
	}
	return rc.readResponse(req, rc.corr)
}
