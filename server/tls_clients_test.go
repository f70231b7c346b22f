package server

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/internal/testcerts"
)

// Real clients over SSL with client certificates (ssl.client.auth=required):
// each produces two records to its own topic and reads them back.

type tlsFiles struct{ ca, cert, key string }

func startMTLS(t *testing.T) (*tlsBroker, tlsFiles) {
	b := startTLS(t, "ssl.client.auth", "required")
	c := b.ca.Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{CommonName: "client", Organization: []string{"Acme"}}})
	f := tlsFiles{ca: filepath.Join(b.dir, "ca.pem"), cert: filepath.Join(b.dir, "client-cert.pem"), key: filepath.Join(b.dir, "client-key.pem")}
	if err := os.WriteFile(f.cert, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.key, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return b, f
}

func (b *tlsBroker) wantPrincipal(t *testing.T) {
	t.Helper()
	if want := `principal="User:CN=client,O=Acme"`; !strings.Contains(b.logs.String(), want) {
		t.Errorf("logs lack %s", want)
	}
}

func TestTLSKcat(t *testing.T) {
	kcat := needKcat(t)
	b, f := startMTLS(t)
	args := []string{"-b", b.sslAddr(), "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + f.ca,
		"-X", "ssl.certificate.location=" + f.cert, "-X", "ssl.key.location=" + f.key, "-t", "kcat-tls"}
	runTool(t, "one\ntwo\n", kcat, append(args, "-P")...)
	if out := runTool(t, "", kcat, append(args, "-C", "-o", "beginning", "-c", "2", "-e", "-f", "%o %s\n")...); out != "0 one\n1 two\n" {
		t.Fatalf("kcat consumed %q", out)
	}
	b.wantPrincipal(t)
}

const confluentTLS = `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
addr, ca, cert, key = sys.argv[1:5]
conf = {"bootstrap.servers": addr, "security.protocol": "SSL", "ssl.ca.location": ca,
        "ssl.certificate.location": cert, "ssl.key.location": key}
p = Producer(conf)
for v in ("one", "two"):
    p.produce("ck-tls", value=v.encode(), partition=0)
assert p.flush(30) == 0
c = Consumer(dict(conf, **{"group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": False}))
c.assign([TopicPartition("ck-tls", 0, 0)])
got = []
while len(got) < 2:
    m = c.poll(30)
    assert m is not None and m.error() is None, m and m.error()
    got.append("%d %s" % (m.offset(), m.value().decode()))
c.close()
print("\n".join(got))
`

func TestTLSConfluentKafka(t *testing.T) {
	needPython(t, "confluent_kafka")
	b, f := startMTLS(t)
	if out := runTool(t, "", python, "-c", confluentTLS, b.sslAddr(), f.ca, f.cert, f.key); out != "0 one\n1 two\n" {
		t.Fatalf("confluent-kafka printed %q", out)
	}
	b.wantPrincipal(t)
}

const kafkaPythonTLS = `
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
addr, ca, cert, key = sys.argv[1:5]
ssl = dict(security_protocol="SSL", ssl_cafile=ca, ssl_certfile=cert, ssl_keyfile=key)
p = KafkaProducer(bootstrap_servers=addr, **ssl)
for v in ("one", "two"):
    p.send("kp-tls", value=v.encode(), partition=0).get(timeout=30)
p.close()
c = KafkaConsumer(bootstrap_servers=addr, group_id=None, enable_auto_commit=False, **ssl)
tp = TopicPartition("kp-tls", 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = []
while len(got) < 2:
    for recs in c.poll(timeout_ms=1000).values():
        got += ["%d %s" % (m.offset, m.value.decode()) for m in recs]
c.close()
print("\n".join(got))
`

func TestTLSKafkaPython(t *testing.T) {
	needPython(t, "kafka")
	b, f := startMTLS(t)
	if out := runTool(t, "", python, "-c", kafkaPythonTLS, b.sslAddr(), f.ca, f.cert, f.key); out != "0 one\n1 two\n" {
		t.Fatalf("kafka-python printed %q", out)
	}
	b.wantPrincipal(t)
}
