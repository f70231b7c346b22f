package tools

import (
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestConfigsQuotas: kafka-configs.sh's client quota commands against
// Strata (Describe/AlterClientQuotas): users, clients, their defaults and
// ips set, described with Java's double formatting, deleted, and the
// mistakes refused with Kafka's messages (a SCRAM config for clients, an
// unknown config, a fractional byte rate, quotas with SCRAM at once).
func TestConfigsQuotas(t *testing.T) {
	tg := tooltest.StartStrata(t)
	tr := newTranscript(t, tg)
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=1048576,request_percentage=12.5")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-default", "--add-config", "consumer_byte_rate=20000000")
	tr.Run("", "configs", "--alter", "--entity-type", "clients", "--entity-name", "app", "--add-config", "producer_byte_rate=2048")
	tr.Run("", "configs", "--alter", "--client", "batch", "--add-config", "controller_mutation_rate=10")
	tr.Run("", "configs", "--alter", "--entity-type", "ips", "--entity-name", "10.0.0.1", "--add-config", "connection_creation_rate=5")
	tr.Run("", "configs", "--alter", "--user", "alice", "--client", "app", "--add-config", "producer_byte_rate=4096")
	tr.Run("", "configs", "--describe", "--user", "alice", "--client", "app")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
	tr.Run("", "configs", "--describe", "--entity-type", "users")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-default")
	tr.Run("", "configs", "--describe", "--entity-type", "clients")
	tr.Run("", "configs", "--describe", "--entity-type", "ips")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--delete-config", "request_percentage")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
	tr.Run("", "configs", "--alter", "--entity-type", "clients", "--entity-name", "app", "--add-config", "SCRAM-SHA-256=[password=x]")
	tr.Run("", "configs", "--alter", "--entity-type", "clients", "--entity-name", "app", "--add-config", "colour=blue")
	tr.Run("", "configs", "--alter", "--entity-type", "clients", "--entity-name", "app", "--add-config", "producer_byte_rate=1.5")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=1,SCRAM-SHA-256=[password=x]")
	tr.Run("", "configs", "--alter", "--entity-type", "ips", "--entity-name", "10.0.0.1", "--add-config", "producer_byte_rate=5")
	tr.Check("configs_quotas")
}
