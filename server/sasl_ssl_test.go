package server

import (
	"crypto/tls"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// startSASLSSL starts a broker with a PLAINTEXT listener (for the admin)
// and a SASL_SSL one (PLAIN and SCRAM-SHA-512, a certificate of a fresh
// CA); alice has SCRAM-SHA-512 credentials.
func startSASLSSL(t *testing.T) (*tlsBroker, string) {
	t.Helper()
	b := startTLS(t,
		"listeners", "PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512",
		"sasl.jaas.config", testJAAS,
		"connection.failed.authentication.delay.ms", "10")
	res, err := newAdmin(t, b.s).AlterUserSCRAMs(testCtx(t), nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("AlterUserSCRAMs: %v %v", err, res.Error())
	}
	return b, filepath.Join(b.dir, "ca.pem")
}

func TestSASLSSLFranz(t *testing.T) {
	b, _ := startSASLSSL(t)
	addr := b.s.ListenerAddr("SASL_SSL").String()
	cl := newClient(t, b.s, kgo.SeedBrokers(addr), kgo.DialTLSConfig(&tls.Config{RootCAs: b.ca.Pool, ServerName: "localhost"}),
		kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()), kgo.AllowAutoTopicCreation())
	if err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "sasl-ssl", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	got := b.s.AuthCounts()
	if len(got) != 1 || got[0].Listener != "SASL_SSL" || got[0].Mechanism != "SCRAM-SHA-512" || got[0].Successes < 1 || got[0].Failures != 0 {
		t.Fatalf("AuthCounts %+v", got)
	}
}

func TestSASLSSLKcat(t *testing.T) {
	kcat := needKcat(t)
	b, ca := startSASLSSL(t)
	args := []string{"-b", b.s.ListenerAddr("SASL_SSL").String(), "-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + ca,
		"-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret", "-t", "kcat-sasl-ssl"}
	runTool(t, "one\ntwo\n", kcat, append(args, "-P")...)
	if out := runTool(t, "", kcat, append(args, "-C", "-o", "beginning", "-c", "2", "-e", "-f", "%o %s\n")...); out != "0 one\n1 two\n" {
		t.Fatalf("kcat consumed %q", out)
	}
}

func TestSASLSSLConfluentKafka(t *testing.T) {
	needPython(t, "confluent_kafka")
	b, ca := startSASLSSL(t)
	script := `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
addr, ca = sys.argv[1:3]
conf = {"bootstrap.servers": addr, "security.protocol": "SASL_SSL", "ssl.ca.location": ca,
        "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": "alice-secret"}
p = Producer(conf)
for v in ("one", "two"):
    p.produce("ck-sasl-ssl", value=v.encode(), partition=0)
assert p.flush(30) == 0
c = Consumer(dict(conf, **{"group.id": "g", "auto.offset.reset": "earliest", "enable.auto.commit": False}))
c.assign([TopicPartition("ck-sasl-ssl", 0, 0)])
got = []
while len(got) < 2:
    for m in c.consume(2, 5.0):
        assert not m.error(), m.error()
        got.append(m.value().decode())
c.close()
print(" ".join(got))
`
	if out := runTool(t, "", python, "-c", script, b.s.ListenerAddr("SASL_SSL").String(), ca); out != "one two\n" {
		t.Fatalf("confluent-kafka printed %q", out)
	}
}
