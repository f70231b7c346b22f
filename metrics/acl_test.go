package metrics

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestAclDenials: with the StandardAuthorizer and no ACLs, User:ANONYMOUS
// is denied; each check denied is counted by resource type and operation.
func TestAclDenials(t *testing.T) {
	b := startBroker(t, false, "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
	cl := b.client(t)
	ctx := t.Context()
	for range 2 {
		req := kmsg.NewPtrDescribeConfigsRequest()
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
		req.Resources = []kmsg.DescribeConfigsRequestResource{res}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.Resources[0].ErrorCode; code != kerr.ClusterAuthorizationFailed.Code {
			t.Fatalf("describe configs: code %d", code)
		}
	}
	dreq := kmsg.NewPtrDeleteTopicsRequest()
	dreq.TopicNames = []string{"x"}
	dt := kmsg.NewDeleteTopicsRequestTopic()
	dt.Topic = kmsg.StringPtr("x")
	dreq.Topics = []kmsg.DeleteTopicsRequestTopic{dt}
	dresp, err := dreq.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := dresp.Topics[0].ErrorCode; code != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("delete topics: code %d", code)
	}
	s := b.scrape(t)
	for k, want := range map[string]float64{
		`strata_acl_denials_total{operation="DESCRIBE_CONFIGS",resource_type="CLUSTER"}`: 2,
		`strata_acl_denials_total{operation="DELETE",resource_type="TOPIC"}`:             1,
	} {
		if got := s[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}
