package server

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/internal/testcerts"
)

// BenchmarkSCRAMHandshake: a new connection's whole SCRAM-SHA-512 login
// (TCP connect, the TLS handshake on SASL_SSL, SaslHandshake v1, two
// SaslAuthenticate v2) with 4096 iterations, as a client pays it (the
// client's PBKDF2 included). Reports p50 and p99 over b.N connections
// (go test ./server/ -run XXX -bench SCRAMHandshake -benchtime 1000x).
func BenchmarkSCRAMHandshake(b *testing.B) {
	b.Run("SASL_PLAINTEXT", func(b *testing.B) { benchSCRAM(b, "SASL_PLAINTEXT") })
	b.Run("SASL_SSL", func(b *testing.B) { benchSCRAM(b, "SASL_SSL") })
}

func benchSCRAM(b *testing.B, protocol string) {
	cfg := config.Defaults()
	dir := b.TempDir()
	ca := testcerts.NewCA(b, "Bench CA")
	ks := ca.Issue(b, testcerts.Options{Serial: 1}).Keystore(b, dir, "server.pem")
	for _, kv := range [][2]string{
		{"listeners", "PLAINTEXT://127.0.0.1:0," + protocol + "://127.0.0.1:0"}, {"log.dirs", filepath.Join(dir, "data")},
		{"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512"}, {"sasl.jaas.config", testJAAS},
		{"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", ks},
	} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Start(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()))
	if err != nil {
		b.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	res, err := adm.AlterUserSCRAMs(b.Context(), nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"}})
	if err != nil || res.Error() != nil {
		b.Fatal(err, res.Error())
	}
	adm.Close()
	addr := s.ListenerAddr(protocol).String()
	var tc *tls.Config
	if protocol == "SASL_SSL" {
		tc = &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := scramLogin(addr, tc, "alice", "alice-secret"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds()), "p99-µs")
}

func scramLogin(addr string, tc *tls.Config, user, pass string) error {
	var c net.Conn
	var err error
	if tc != nil {
		c, err = tls.Dial("tcp", addr, tc)
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	rc := &rawClient{c: c}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "SCRAM-SHA-512"
	if _, err := rc.tryRoundTrip(hs); err != nil {
		return err
	}
	cl, _ := scram.SHA512.NewClient(user, pass, "")
	conv := cl.NewConversation()
	msg, _ := conv.Step("")
	for {
		au := kmsg.NewPtrSASLAuthenticateRequest()
		au.Version, au.SASLAuthBytes = 2, []byte(msg)
		resp, err := rc.tryRoundTrip(au)
		if err != nil {
			return err
		}
		r := resp.(*kmsg.SASLAuthenticateResponse)
		if r.ErrorCode != 0 {
			return kerr.ErrorForCode(r.ErrorCode)
		}
		if msg, err = conv.Step(string(r.SASLAuthBytes)); err != nil {
			return err
		}
		if conv.Done() {
			return nil
		}
	}
}
