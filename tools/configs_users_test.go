package tools

import (
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestConfigsUsersScram: kafka-configs.sh's SCRAM credential commands
// against Strata: added with and without iterations, described (one user,
// every user; a user without credentials left out), deleted, and the
// mistakes refused with Kafka's messages (too few iterations client-side,
// too many broker-side with UNACCEPTABLE_CREDENTIAL, deleting what does not
// exist with RESOURCE_NOT_FOUND, two mechanisms in one request with
// DUPLICATE_RESOURCE as Kafka's controller, a config that is neither SCRAM nor quota).
func TestConfigsUsersScram(t *testing.T) {
	tg := tooltest.StartStrata(t)
	tr := newTranscript(t, tg)
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]")
	// Kafka's controller refuses two mechanisms of one user in one request
	// (ScramControlManager: DUPLICATE_RESOURCE), so they go one at a time.
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret]")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "SCRAM-SHA-512=[password=alice-secret]")
	tr.Run("", "configs", "--alter", "--user", "bob", "--add-config", "SCRAM-SHA-512=[iterations=4096,password=bob-secret]")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
	tr.Run("", "configs", "--describe", "--entity-type", "users")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-name", "nobody")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--delete-config", "SCRAM-SHA-256")
	tr.Run("", "configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--delete-config", "SCRAM-SHA-256")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "carol", "--add-config", "SCRAM-SHA-256=[iterations=100,password=x]")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "carol", "--add-config", "SCRAM-SHA-256=[iterations=20000,password=x]")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "carol", "--add-config", "SCRAM-SHA-256=[secret=x]")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-name", "carol", "--add-config", "colour=blue")
	tr.Run("", "configs", "--alter", "--entity-type", "users", "--entity-default", "--add-config", "SCRAM-SHA-256=[password=x]")
	tr.Check("configs_users")
}
