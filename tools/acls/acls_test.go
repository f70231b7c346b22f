package acls

import (
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch = cli.Dispatcher(Commands)

// TestACLsGolden runs kafka-acls.sh's commands against Strata with the
// StandardAuthorizer (the tool connects as User:ANONYMOUS, a super user)
// and against kfake (which keeps ACLs without enforcing them).
func TestACLsGolden(t *testing.T) {
	t.Run("strata", func(t *testing.T) {
		aclsScript(t, tooltest.StartStrata(t,
			"authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
			"super.users", "User:ANONYMOUS"))
	})
	t.Run("kfake", func(t *testing.T) { aclsScript(t, tooltest.StartKfake(t)) })
}

func aclsScript(t *testing.T, tg tooltest.Target) {
	tr := tooltest.NewTranscript(t, tg, dispatch)
	tr.Run("", "acls", "--add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "read", "--topic", "t")
	tr.Run("", "acls", "--add", "--allow-principal", "User:bob", "--producer", "--topic", "p", "--transactional-id", "tx", "--idempotent")
	tr.Run("", "acls", "--add", "--allow-principal", "User:carol", "--allow-host", "10.0.0.1", "--consumer", "--topic", "c-", "--group", "g-", "--resource-pattern-type", "prefixed")
	tr.Run("", "acls", "--add", "--deny-principal", "User:mallory", "--cluster")
	tr.Run("", "acls", "--list")
	tr.Run("", "acls", "--list", "--topic", "t")
	tr.Run("", "acls", "--list", "--topic", "c-1", "--resource-pattern-type", "match")
	tr.Run("", "acls", "--list", "--principal", "User:bob")
	tr.Run("", "acls", "--remove", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "t", "--force")
	tr.Run("n\n", "acls", "--remove", "--topic", "c-", "--resource-pattern-type", "prefixed")
	tr.Run("y\n", "acls", "--remove", "--group", "g-", "--resource-pattern-type", "prefixed")
	tr.Run("", "acls", "--list")
	// Bad command lines: one line, exit 2.
	tr.Run("", "acls", "--add", "--topic", "t")
	tr.Run("", "acls", "--add", "--list", "--topic", "t")
	tr.Run("", "acls", "--add", "--allow-principal", "User:x", "--operation", "IdempotentWrite", "--topic", "t")
	tr.Run("", "acls", "--add", "--allow-principal", "User:x", "--topic", "t", "--resource-pattern-type", "match")
	tr.Run("", "acls", "--list", "--producer", "--topic", "t")
	tr.Run("", "acls", "--add", "--allow-principal", "User:x")
	tr.Check("acls")
}

// TestACLsSecurityDisabled: without an authorizer the broker answers
// SECURITY_DISABLED and the tool fails with one line, exit 1.
func TestACLsSecurityDisabled(t *testing.T) {
	tg := tooltest.StartStrata(t)
	tr := tooltest.NewTranscript(t, tg, dispatch)
	tr.Run("", "acls", "--list")
	tr.Run("", "acls", "--add", "--allow-principal", "User:alice", "--topic", "t")
	tr.Check("acls-disabled")
}
