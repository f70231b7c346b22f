package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestACLKcat: kcat (librdkafka) over SASL_PLAINTEXT as alice, who may
// write t but not u: her records reach t; u gets TOPIC_AUTHORIZATION_FAILED
// and nothing is appended. kcat -L as bob lists only his topic.
func TestACLKcat(t *testing.T) {
	kcat := needKcat(t)
	s := startACLBroker(t, t.TempDir())
	ctx := testCtx(t)
	admin := userClient(t, s, "admin")
	adm := kadm.NewClient(admin)
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "t", "u", "bob-1"); err != nil {
		t.Fatal(err)
	}
	lit, allow := kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLPermissionTypeAllow
	mustCreateACLs(t, ctx, admin,
		createACL(kmsg.ACLResourceTypeTopic, "t", lit, "User:alice", kmsg.ACLOperationWrite, allow),
		createACL(kmsg.ACLResourceTypeTopic, "t", lit, "User:alice", kmsg.ACLOperationRead, allow),
		createACL(kmsg.ACLResourceTypeTopic, "bob-1", lit, "User:bob", kmsg.ACLOperationDescribe, allow),
	)
	sec := func(user string) []string {
		return []string{"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=" + user, "-X", "sasl.password=" + user + "-secret"}
	}
	addr := s.Addr().String()
	runTool(t, "a\nb\n", kcat, append([]string{"-b", addr, "-t", "t", "-P"}, sec("alice")...)...)
	if out := runTool(t, "", kcat, append([]string{"-b", addr, "-t", "t", "-C", "-o", "beginning", "-e", "-f", "%s@%o\n"}, sec("alice")...)...); out != "a@0\nb@1\n" {
		t.Fatalf("alice read t: %q", out)
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, kcat, append([]string{"-b", addr, "-t", "u", "-P"}, sec("alice")...)...)
	cmd.Stdin = strings.NewReader("x\n")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Topic authorization failed") {
		t.Fatalf("alice → u: %v\n%s", err, out)
	}
	ends, err := adm.ListEndOffsets(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := ends.Lookup("u", 0); e.Offset != 0 {
		t.Fatalf("u end offset %d, want 0", e.Offset)
	}
	md := runTool(t, "", kcat, append([]string{"-b", addr, "-L", "-J"}, sec("bob")...)...)
	if !strings.Contains(md, `"topic":"bob-1"`) || strings.Contains(md, `"topic":"t"`) || strings.Contains(md, `"topic":"u"`) || strings.Count(md, `"partitions":`) != 1 {
		t.Fatalf("bob's metadata: %s", md)
	}
}
