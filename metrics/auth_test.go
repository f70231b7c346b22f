package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	saslplain "github.com/twmb/franz-go/pkg/sasl/plain"
)

// TestAuthenticationCounters: two good PLAIN logins and one bad, on a
// SASL_PLAINTEXT listener, scraped per listener and mechanism.
func TestAuthenticationCounters(t *testing.T) {
	b := startBroker(t, false,
		"listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN",
		"sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`,
		"connection.failed.authentication.delay.ms", "0")
	ping := func(pass string) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.SASL(saslplain.Auth{User: "alice", Pass: pass}.AsMechanism()), kgo.RetryTimeout(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return cl.Ping(ctx)
	}
	for _, pass := range []string{"alice-secret", "alice-secret"} {
		if err := ping(pass); err != nil {
			t.Fatal(err)
		}
	}
	if err := ping("wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	s := b.scrape(t)
	if got := s[`strata_authentication_success_total{listener="SASL_PLAINTEXT",mechanism="PLAIN"}`]; got != 2 {
		t.Errorf("successes %v, want 2", got)
	}
	if got := s[`strata_authentication_failure_total{listener="SASL_PLAINTEXT",mechanism="PLAIN"}`]; got != 1 {
		t.Errorf("failures %v, want 1", got)
	}
}
