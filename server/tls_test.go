package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/testcerts"
)

// tlsBroker is a broker with a PLAINTEXT and an SSL listener.
type tlsBroker struct {
	s    *Server
	ca   *testcerts.CA
	dir  string
	logs *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startTLS starts a broker whose SSL listener serves a certificate of a
// fresh CA (serial 1), with the settings added.
func startTLS(t *testing.T, settings ...string) *tlsBroker {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "Test CA")
	ks := ca.Issue(t, testcerts.Options{Serial: 1}).Keystore(t, dir, "server1.pem")
	logs := &syncBuf{}
	opts := Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	all := append([]string{
		"listeners", "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
		"ssl.keystore.type", "PEM", "ssl.keystore.location", ks,
		"ssl.truststore.type", "PEM", "ssl.truststore.location", ca.Truststore(t, dir, "ca.pem"),
	}, settings...)
	s := startServerIn(t, t.TempDir(), opts, all...)
	return &tlsBroker{s: s, ca: ca, dir: dir, logs: logs}
}

func (b *tlsBroker) sslAddr() string { return b.s.ListenerAddr("SSL").String() }

// dialTLS handshakes with the SSL listener.
func (b *tlsBroker) dialTLS(t *testing.T, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", b.sslAddr(), cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// apiVersions sends ApiVersions over c and reports whether a response
// came back.
func apiVersionsOver(t *testing.T, c net.Conn) error {
	rc := &rawClient{t: t, c: c}
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(0)
	corr := rc.send(req)
	_, err := rc.readResponse(req, corr)
	return err
}

func TestTLSProduceConsume(t *testing.T) {
	b := startTLS(t)
	cl := newClient(t, b.s, kgo.SeedBrokers(b.sslAddr()),
		kgo.DialTLSConfig(&tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"}),
		kgo.DefaultProduceTopic("tls"), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.AllowAutoTopicCreation(), kgo.ConsumeTopics("tls"))
	ctx := testCtx(t)
	var want []string
	for i := range 3 {
		v := strings.Repeat(string(rune('a'+i)), 100*(i+1))
		want = append(want, v)
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte{byte(i)}, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for len(got) < 3 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if int(r.Offset) != len(got) || r.Key[0] != byte(r.Offset) {
				t.Errorf("record at offset %d key %v", r.Offset, r.Key)
			}
			got = append(got, string(r.Value))
		})
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("consumed %q, want %q", got, want)
	}
	if st := b.s.Stats(); st.SendfileBytes != 0 || st.CopiedBytes != 813 {
		t.Fatalf("fetch over TLS: sendfile %d bytes, copied %d; want 0 and 813 (3 batches: 3×61 header + 3 records of 1-byte keys and 100, 200, 300-byte values)", st.SendfileBytes, st.CopiedBytes)
	}
}

func TestTLSClientAuthRequired(t *testing.T) {
	b := startTLS(t, "ssl.client.auth", "required")
	// No certificate: TLS 1.3 reports the refusal on the first read.
	c, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
	if err == nil {
		err = apiVersionsOver(t, c)
	}
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("no client certificate: %v, want the handshake refused (certificate required)", err)
	}
	// A certificate of another CA.
	other := testcerts.NewCA(t, "Other CA").Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{CommonName: "mallory"}})
	// (GetClientCertificate: Go's client would not send a certificate the
	// server's CA list does not name.)
	c, err = b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost",
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &other.TLS, nil }})
	if err == nil {
		err = apiVersionsOver(t, c)
	}
	if err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
		t.Fatalf("client certificate of another CA: %v, want unknown certificate authority", err)
	}
	// An expired certificate of the right CA.
	expired := b.ca.Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{CommonName: "old"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	c, err = b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{expired.TLS}})
	if err == nil {
		err = apiVersionsOver(t, c)
	}
	if err == nil || !strings.Contains(err.Error(), "expired certificate") {
		t.Fatalf("expired client certificate: %v, want expired certificate", err)
	}
	// A good one: its principal is the subject DN in RFC 2253 order.
	alice := b.ca.Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{
		CommonName: "alice", Organization: []string{"Acme, Inc."}, OrganizationalUnit: []string{"eng"}, Country: []string{"US"}}})
	c, err = b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{alice.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiVersionsOver(t, c); err != nil {
		t.Fatal(err)
	}
	want := `principal="User:CN=alice,OU=eng,O=Acme\\, Inc.,C=US"`
	if !strings.Contains(b.logs.String(), want) {
		t.Fatalf("logs lack %s:\n%s", want, b.logs.String())
	}
}

func TestTLSPrincipalMappingRules(t *testing.T) {
	b := startTLS(t, "ssl.client.auth", "requested",
		"ssl.principal.mapping.rules", `RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/L,DEFAULT`)
	bob := b.ca.Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{CommonName: "Bob", OrganizationalUnit: []string{"Ops"}, Organization: []string{"Acme"}}})
	c, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{bob.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiVersionsOver(t, c); err != nil {
		t.Fatal(err)
	}
	// requested: a client without a certificate is served, anonymous.
	c2, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if err := apiVersionsOver(t, c2); err != nil {
		t.Fatalf("requested, no certificate: %v", err)
	}
	if want := `principal=User:bob@ops`; !strings.Contains(b.logs.String(), want) {
		t.Fatalf("logs lack %s:\n%s", want, b.logs.String())
	}
}

// Bad peers on either port cost only their own connection: a client that
// stays connected before, during and after keeps being served.
func TestTLSBadPeers(t *testing.T) {
	b := startTLS(t)
	good, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	plainGood := dialRaw(t, b.s)

	// Plaintext Kafka bytes on the TLS port: the handshake fails, the
	// connection is closed.
	raw, err := net.Dial("tcp", b.sslAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rc := &rawClient{t: t, c: raw}
	rc.send(kmsg.NewPtrApiVersionsRequest())
	rc.expectClosed()

	// TLS on the plaintext port: the ClientHello reads as an oversized
	// frame; the connection is closed.
	_, err = tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", b.s.ListenerAddr("PLAINTEXT").String(),
		&tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
	if err == nil {
		t.Fatal("TLS handshake with the PLAINTEXT listener succeeded")
	}

	// A client that trusts another CA refuses the server.
	_, err = b.dialTLS(t, &tls.Config{RootCAs: testcerts.NewCA(t, "Other").Pool, ServerName: "localhost"})
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Fatalf("wrong CA: %v, want x509.UnknownAuthorityError", err)
	}

	for _, c := range []net.Conn{good, plainGood.c} {
		if err := apiVersionsOver(t, c); err != nil {
			t.Fatalf("the good connection after the bad peers: %v", err)
		}
	}
}

func TestTLSExpiredServerCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "Test CA")
	ks := ca.Issue(t, testcerts.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}).Keystore(t, dir, "k.pem")
	s := startServer(t, "listeners", "SSL://127.0.0.1:0", "ssl.keystore.type", "PEM", "ssl.keystore.location", ks)
	_, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
	var ie x509.CertificateInvalidError
	if !errors.As(err, &ie) || ie.Reason != x509.Expired {
		t.Fatalf("expired server certificate: %v, want x509.CertificateInvalidError Expired", err)
	}
}

func TestTLSStartErrors(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "Test CA")
	ks := ca.Issue(t, testcerts.Options{}).Keystore(t, dir, "k.pem")
	tests := []struct {
		settings []string
		want     string
	}{
		{[]string{"ssl.keystore.type", "JKS", "ssl.keystore.location", ks},
			"listener SSL: invalid SSL configuration: ssl.keystore.type=JKS is not supported: Strata reads PEM stores only (set ssl.keystore.type=PEM and convert the store, e.g. openssl pkcs12 -in store.p12 -nodes)"},
		{[]string{"ssl.keystore.type", "PKCS12", "ssl.keystore.location", ks},
			"listener SSL: invalid SSL configuration: ssl.keystore.type=PKCS12 is not supported: Strata reads PEM stores only (set ssl.keystore.type=PEM and convert the store, e.g. openssl pkcs12 -in store.p12 -nodes)"},
		{nil, "listener SSL: invalid SSL configuration: an SSL listener needs a keystore: ssl.keystore.location or ssl.keystore.key and ssl.keystore.certificate.chain"},
		{[]string{"ssl.keystore.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----", "ssl.keystore.certificate.chain", string(ca.CertPEM), "ssl.key.password", "x"},
			"listener SSL: invalid SSL configuration: the keystore's private key is encrypted (ssl.key.password): Strata reads unencrypted PKCS#8 keys only (decrypt it with: openssl pkcs8 -in key.pem -out plain.pem)"},
		{[]string{"ssl.keystore.location", ks, "ssl.client.auth", "always"},
			"listener SSL: invalid SSL configuration: Invalid value always for configuration ssl.client.auth: String must be one of: required, requested, none"},
		{[]string{"ssl.keystore.location", ks, "ssl.enabled.protocols", "TLSv1.2,SSLv3"},
			`listener SSL: invalid SSL configuration: Invalid value TLSv1.2,SSLv3 for configuration ssl.enabled.protocols: unknown protocol "SSLv3"`},
	}
	for _, tc := range tests {
		cfg := testConfig(t, t.TempDir(), append([]string{"listeners", "SSL://127.0.0.1:0"}, tc.settings...)...)
		s, err := Start(cfg, Options{})
		if err == nil {
			s.Close()
			t.Errorf("%v: started", tc.settings)
			continue
		}
		if !errors.Is(err, ErrConfig) || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%v:\n got %v\nwant ...%s", tc.settings, err, tc.want)
		}
	}
}

// Inline PEM keystore and truststore, TLS 1.2 only with one cipher suite.
func TestTLSInlineStoresAndSuites(t *testing.T) {
	ca := testcerts.NewCA(t, "Test CA")
	cert := ca.Issue(t, testcerts.Options{})
	s := startServer(t, "listeners", "SSL://127.0.0.1:0",
		"listener.name.ssl.ssl.keystore.type", "PEM",
		"listener.name.ssl.ssl.keystore.key", string(cert.KeyPEM),
		"listener.name.ssl.ssl.keystore.certificate.chain", string(cert.CertPEM),
		"listener.name.ssl.ssl.truststore.certificates", string(ca.CertPEM),
		"listener.name.ssl.ssl.enabled.protocols", "TLSv1.2",
		"listener.name.ssl.ssl.cipher.suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
	c, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.ConnectionState()
	if st.Version != tls.VersionTLS12 || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Fatalf("version %x suite %s, want TLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", st.Version, tls.CipherSuiteName(st.CipherSuite))
	}
	_, err = tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS13})
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.3 against a TLS 1.2 listener: %v, want a protocol version alert", err)
	}
}

// Each client sees the advertised address of the listener it came in on.
func TestAdvertisedPerListener(t *testing.T) {
	b := startTLS(t, "advertised.listeners", "PLAINTEXT://plain.example:1111,SSL://ssl.example:2222")
	tc, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rc   *rawClient
		host string
		port int32
	}{{dialRaw(t, b.s), "plain.example", 1111}, {&rawClient{t: t, c: tc}, "ssl.example", 2222}} {
		md := tt.rc.roundTrip(kmsg.NewPtrMetadataRequest()).(*kmsg.MetadataResponse)
		if len(md.Brokers) != 1 || md.Brokers[0].Host != tt.host || md.Brokers[0].Port != tt.port {
			t.Errorf("Metadata brokers %+v, want %s:%d", md.Brokers, tt.host, tt.port)
		}
		fc := kmsg.NewPtrFindCoordinatorRequest()
		fc.CoordinatorKey = "g"
		fr := tt.rc.roundTrip(fc).(*kmsg.FindCoordinatorResponse)
		if fr.Host != tt.host || fr.Port != tt.port {
			t.Errorf("FindCoordinator %s:%d, want %s:%d", fr.Host, fr.Port, tt.host, tt.port)
		}
		dc := tt.rc.roundTrip(kmsg.NewPtrDescribeClusterRequest()).(*kmsg.DescribeClusterResponse)
		if len(dc.Brokers) != 1 || dc.Brokers[0].Host != tt.host || dc.Brokers[0].Port != tt.port {
			t.Errorf("DescribeCluster brokers %+v, want %s:%d", dc.Brokers, tt.host, tt.port)
		}
	}
}

// A dynamic listener keystore change applies to new connections.
func TestTLSKeystoreReload(t *testing.T) {
	b := startTLS(t)
	serial := func() int64 {
		t.Helper()
		c, err := b.dialTLS(t, &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1 {
		t.Fatalf("serial %d before the reload, want 1", got)
	}
	alter := func(resource, name, value string) kmsg.IncrementalAlterConfigsResponseResource {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, resource
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = name, &value
		r.Configs = append(r.Configs, cfg)
		req.Resources = append(req.Resources, r)
		return dialRaw(t, b.s).roundTrip(req).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
	}
	const prop = "listener.name.ssl.ssl.keystore.location"
	// A keystore that does not load is refused and changes nothing.
	r := alter("1", prop, b.dir+"/missing.pem")
	if r.ErrorCode != kerr.InvalidRequest.Code || r.ErrorMessage == nil || !strings.Contains(*r.ErrorMessage, "ssl.keystore.location: open ") {
		t.Fatalf("missing keystore: %v %v, want INVALID_REQUEST ssl.keystore.location: open ...", kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
	}
	ks2 := b.ca.Issue(t, testcerts.Options{Serial: 2}).Keystore(t, b.dir, "server2.pem")
	r = alter("", prop, ks2)
	if r.ErrorCode != kerr.InvalidRequest.Code || r.ErrorMessage == nil ||
		*r.ErrorMessage != "Cannot update these configs at default cluster level, broker id must be specified: Set("+prop+")" {
		t.Fatalf("cluster default: %v %v", kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
	}
	if got := serial(); got != 1 {
		t.Fatalf("serial %d after refused changes, want 1", got)
	}
	if r = alter("1", prop, ks2); r.ErrorCode != 0 {
		t.Fatalf("reload: %v %v", kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
	}
	if got := serial(); got != 2 {
		t.Fatalf("serial %d after the reload, want 2", got)
	}
}

func TestMaxConnectionsPerIPOverrides(t *testing.T) {
	s := startServer(t, "max.connections.per.ip", "5", "max.connections.per.ip.overrides", "127.0.0.1:1,[::1]:3")
	first := dialRaw(t, s)
	if err := apiVersionsOver(t, first.c); err != nil {
		t.Fatal(err)
	}
	second := dialRaw(t, s)
	second.send(kmsg.NewPtrApiVersionsRequest())
	second.expectClosed()
	if err := apiVersionsOver(t, first.c); err != nil {
		t.Fatal(err)
	}
}

// KIP-684: the broker-wide ssl.client.auth does not apply to SASL_SSL
// listeners; listener.name.<name>.ssl.client.auth does.
func TestTLSClientAuthSASLSSL(t *testing.T) {
	b := startTLS(t, "listeners", "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,MTLS_SASL://127.0.0.1:0",
		"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,MTLS_SASL:SASL_SSL",
		"ssl.client.auth", "required", "listener.name.mtls_sasl.ssl.client.auth", "required",
		// Kafka's default mechanism is GSSAPI, which Strata refuses at start.
		"sasl.enabled.mechanisms", "SCRAM-SHA-256")
	for _, tc := range []struct {
		listener string
		required bool
	}{{"SSL", true}, {"SASL_SSL", false}, {"MTLS_SASL", true}} {
		c, err := tls.Dial("tcp", b.s.ListenerAddr(tc.listener).String(), &tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"})
		if err == nil {
			defer c.Close()
			err = apiVersionsOver(t, c)
		}
		if refused := err != nil && strings.Contains(err.Error(), "certificate required"); refused != tc.required {
			t.Errorf("%s without a client certificate: %v; want refused %v", tc.listener, err, tc.required)
		}
	}
}
