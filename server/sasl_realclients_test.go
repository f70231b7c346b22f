package server

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/xdg-go/scram"
)

// startSASLWithScram starts startSASL's broker and gives alice SCRAM-SHA-256
// and SCRAM-SHA-512 credentials (password alice-secret), through a PLAIN
// admin.
func startSASLWithScram(t *testing.T) *Server {
	t.Helper()
	s := startSASL(t, Options{})
	setupAlice(t, s)
	return s
}

func setupAlice(t *testing.T, s *Server) {
	ctx := testCtx(t)
	adm := kadm.NewClient(saslClient(t, s, plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	for _, m := range []kadm.ScramMechanism{kadm.ScramSha256, kadm.ScramSha512} {
		res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: m, Iterations: 4096, Password: "alice-secret"}})
		if err != nil || res.Error() != nil {
			t.Fatalf("AlterUserSCRAMs: %v %v", err, res.Error())
		}
	}
}

func TestSASLKcat(t *testing.T) {
	kcat := needKcat(t)
	s := startSASLWithScram(t)
	addr := s.Addr().String()
	for _, c := range []struct{ mech, user, pass string }{
		{"SCRAM-SHA-512", "alice", "alice-secret"},
		{"SCRAM-SHA-256", "alice", "alice-secret"},
		{"PLAIN", "alice", "alice-secret"},
	} {
		t.Run(c.mech, func(t *testing.T) {
			sec := []string{"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=" + c.mech, "-X", "sasl.username=" + c.user, "-X", "sasl.password=" + c.pass}
			topicName := "kcat-" + strings.ToLower(c.mech)
			runTool(t, "a\nb\nc\n", kcat, append([]string{"-b", addr, "-t", topicName, "-P"}, sec...)...)
			out := runTool(t, "", kcat, append([]string{"-b", addr, "-t", topicName, "-C", "-o", "beginning", "-e", "-f", "%s@%o\n"}, sec...)...)
			if out != "a@0\nb@1\nc@2\n" {
				t.Fatalf("kcat consumed %q", out)
			}
		})
	}
	// A wrong password: kcat reports the broker's failure and appends nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", addr, "-L", "-m", "5", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=alice", "-X", "sasl.password=wrong")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512") {
		t.Fatalf("kcat with a wrong password: %v\n%s", err, out)
	}
}

func TestSASLConfluentKafka(t *testing.T) {
	needPython(t, "confluent_kafka")
	s := startSASLWithScram(t)
	script := `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
addr, mech = sys.argv[1], sys.argv[2]
sec = {'bootstrap.servers': addr, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': mech,
       'sasl.username': 'alice', 'sasl.password': 'alice-secret'}
topic = 'ck-' + mech.lower()
p = Producer(dict(sec, **{'enable.idempotence': True}))
for i in range(100):
    p.produce(topic, value=b'v%d' % i)
assert p.flush(30) == 0
c = Consumer(dict(sec, **{'group.id': 'g-' + topic, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.assign([TopicPartition(topic, 0, 0)])
got = []
while len(got) < 100:
    for m in c.consume(100, 5.0):
        assert not m.error(), m.error()
        got.append(m.value())
c.close()
assert got == [b'v%d' % i for i in range(100)]
bad = Producer(dict(sec, **{'sasl.password': 'wrong', 'message.timeout.ms': 3000}))
errs = []
bad.produce(topic, value=b'x', on_delivery=lambda err, msg: errs.append(err))
bad.flush(10)
assert errs and errs[0] is not None, errs
print(len(got))
`
	for _, mech := range []string{"SCRAM-SHA-512", "PLAIN"} {
		if out := runTool(t, "", python, "-c", script, s.Addr().String(), mech); out != "100\n" {
			t.Fatalf("%s: confluent-kafka printed %q", mech, out)
		}
	}
}

func TestSASLKafkaPython(t *testing.T) {
	needPython(t, "kafka")
	s := startSASLWithScram(t)
	script := `
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
addr, mech = sys.argv[1], sys.argv[2]
sec = dict(bootstrap_servers=addr, security_protocol='SASL_PLAINTEXT', sasl_mechanism=mech,
           sasl_plain_username='alice', sasl_plain_password='alice-secret', api_version_auto_timeout_ms=10000)
topic = 'kp-' + mech.lower()
p = KafkaProducer(**sec)
for i in range(50):
    p.send(topic, b'v%d' % i)
p.flush(30)
p.close()
c = KafkaConsumer(consumer_timeout_ms=5000, **sec)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = [m.value for m in c]
c.close()
assert got == [b'v%d' % i for i in range(50)], got
try:
    KafkaProducer(**dict(sec, sasl_plain_password='wrong'))
    print('wrong password accepted')
except KafkaError as e:
    pass
print(len(got))
`
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256"} {
		if out := runTool(t, "", python, "-c", script, s.Addr().String(), mech); out != "50\n" {
			t.Fatalf("%s: kafka-python printed %q", mech, out)
		}
	}
}

// xdgClient is sarama's SCRAMClient over xdg-go/scram, as sarama's own
// examples write it.
type xdgClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (x *xdgClient) Begin(user, pass, authz string) error {
	cl, err := x.hash.NewClient(user, pass, authz)
	if err != nil {
		return err
	}
	x.conv = cl.NewConversation()
	return nil
}
func (x *xdgClient) Step(challenge string) (string, error) { return x.conv.Step(challenge) }
func (x *xdgClient) Done() bool                            { return x.conv.Done() }

func TestSASLSarama(t *testing.T) {
	s := startSASLWithScram(t)
	for _, c := range []struct {
		mech sarama.SASLMechanism
		h    func() hash.Hash
	}{{sarama.SASLTypeSCRAMSHA512, sha512.New}, {sarama.SASLTypeSCRAMSHA256, sha256.New}} {
		t.Run(string(c.mech), func(t *testing.T) {
			cfg := sarama.NewConfig()
			cfg.Version = sarama.V3_0_0_0
			cfg.Producer.Return.Successes = true
			cfg.Net.SASL.Enable, cfg.Net.SASL.Mechanism = true, c.mech
			cfg.Net.SASL.User, cfg.Net.SASL.Password = "alice", "alice-secret"
			h := c.h
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgClient{hash: scram.HashGeneratorFcn(h)} }
			p, err := sarama.NewSyncProducer([]string{s.Addr().String()}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			part, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: "sarama-scram", Value: sarama.StringEncoder("v")})
			if err != nil || part != 0 {
				t.Fatalf("send: %d %d %v", part, off, err)
			}
			cfg.Net.SASL.Password = "wrong"
			if _, err := sarama.NewSyncProducer([]string{s.Addr().String()}, cfg); err == nil {
				t.Fatal("sarama logged in with a wrong password")
			}
		})
	}
}
