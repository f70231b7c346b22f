package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestACLDeniedCodes: alice, with no ACL, asks every kind of API; each
// answers with Kafka's authorization error where Kafka puts it, and
// changes nothing.
func TestACLDeniedCodes(t *testing.T) {
	s := startACLBroker(t, t.TempDir())
	ctx := testCtx(t)
	adm := kadm.NewClient(userClient(t, s, "admin"))
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	b := userClient(t, s, "alice").Broker(1) // straight to the broker: no FindCoordinator of the client's own
	topicCode, groupCode, clusterCode, txnCode := kerr.TopicAuthorizationFailed.Code, kerr.GroupAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Code, kerr.TransactionalIDAuthorizationFailed.Code

	ask := func(req kmsg.Request) kmsg.Response {
		t.Helper()
		resp, err := b.Request(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
		}
		return resp
	}
	check := func(what string, got, want int16) {
		t.Helper()
		if got != want {
			t.Errorf("%s: code %d, want %d", what, got, want)
		}
	}

	ct := kmsg.NewPtrCreateTopicsRequest()
	ctt := kmsg.NewCreateTopicsRequestTopic()
	ctt.Topic, ctt.NumPartitions, ctt.ReplicationFactor = "x", 1, 1
	ct.Topics = []kmsg.CreateTopicsRequestTopic{ctt}
	check("CreateTopics", ask(ct).(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode, topicCode)

	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.TopicNames = []string{"t"}
	dtt := kmsg.NewDeleteTopicsRequestTopic()
	dtt.Topic = kmsg.StringPtr("t")
	dt.Topics = []kmsg.DeleteTopicsRequestTopic{dtt}
	check("DeleteTopics", ask(dt).(*kmsg.DeleteTopicsResponse).Topics[0].ErrorCode, topicCode)

	dc := kmsg.NewPtrDescribeConfigsRequest()
	for _, r := range []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{kmsg.ConfigResourceTypeTopic, "t"}, {kmsg.ConfigResourceTypeBroker, "1"}} {
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = r.typ, r.name
		dc.Resources = append(dc.Resources, res)
	}
	dcr := ask(dc).(*kmsg.DescribeConfigsResponse)
	check("DescribeConfigs topic", dcr.Resources[0].ErrorCode, topicCode)
	check("DescribeConfigs broker", dcr.Resources[1].ErrorCode, clusterCode)

	iac := kmsg.NewPtrIncrementalAlterConfigsRequest()
	iacr := kmsg.NewIncrementalAlterConfigsRequestResource()
	iacr.ResourceType, iacr.ResourceName = kmsg.ConfigResourceTypeTopic, "t"
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Value = "retention.ms", kmsg.StringPtr("1000")
	iacr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{c}
	iac.Resources = []kmsg.IncrementalAlterConfigsRequestResource{iacr}
	check("IncrementalAlterConfigs", ask(iac).(*kmsg.IncrementalAlterConfigsResponse).Resources[0].ErrorCode, topicCode)

	dq := kmsg.NewPtrDescribeClientQuotasRequest()
	check("DescribeClientQuotas", ask(dq).(*kmsg.DescribeClientQuotasResponse).ErrorCode, clusterCode)
	aq := kmsg.NewPtrAlterClientQuotasRequest()
	aqe := kmsg.NewAlterClientQuotasRequestEntry()
	aqe.Entity = []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "user", Name: kmsg.StringPtr("alice")}}
	aqe.Ops = []kmsg.AlterClientQuotasRequestEntryOp{{Key: "producer_byte_rate", Value: 1024}}
	aq.Entries = []kmsg.AlterClientQuotasRequestEntry{aqe}
	check("AlterClientQuotas", ask(aq).(*kmsg.AlterClientQuotasResponse).Entries[0].ErrorCode, clusterCode)

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKeys = []string{"g"}
	check("FindCoordinator group", ask(fc).(*kmsg.FindCoordinatorResponse).Coordinators[0].ErrorCode, groupCode)
	fc.CoordinatorType, fc.CoordinatorKeys = 1, []string{"tx"}
	check("FindCoordinator txn", ask(fc).(*kmsg.FindCoordinatorResponse).Coordinators[0].ErrorCode, txnCode)

	ip := kmsg.NewPtrInitProducerIDRequest()
	ip.TransactionalID, ip.TransactionTimeoutMillis = kmsg.StringPtr("tx"), 10000
	check("InitProducerId txn", ask(ip).(*kmsg.InitProducerIDResponse).ErrorCode, txnCode)
	ip.TransactionalID = nil
	check("InitProducerId idempotent", ask(ip).(*kmsg.InitProducerIDResponse).ErrorCode, clusterCode)

	lo := kmsg.NewPtrListOffsetsRequest()
	lot := kmsg.NewListOffsetsRequestTopic()
	lot.Topic = "t"
	lop := kmsg.NewListOffsetsRequestTopicPartition()
	lop.Timestamp = -1
	lot.Partitions = []kmsg.ListOffsetsRequestTopicPartition{lop}
	lo.Topics = []kmsg.ListOffsetsRequestTopic{lot}
	check("ListOffsets", ask(lo).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0].ErrorCode, topicCode)

	dr := kmsg.NewPtrDeleteRecordsRequest()
	drt := kmsg.NewDeleteRecordsRequestTopic()
	drt.Topic = "t"
	drp := kmsg.NewDeleteRecordsRequestTopicPartition()
	drp.Offset = -1
	drt.Partitions = []kmsg.DeleteRecordsRequestTopicPartition{drp}
	dr.Topics = []kmsg.DeleteRecordsRequestTopic{drt}
	check("DeleteRecords", ask(dr).(*kmsg.DeleteRecordsResponse).Topics[0].Partitions[0].ErrorCode, topicCode)

	cp := kmsg.NewPtrCreatePartitionsRequest()
	cpt := kmsg.NewCreatePartitionsRequestTopic()
	cpt.Topic, cpt.Count = "t", 3
	cp.Topics = []kmsg.CreatePartitionsRequestTopic{cpt}
	check("CreatePartitions", ask(cp).(*kmsg.CreatePartitionsResponse).Topics[0].ErrorCode, topicCode)

	jg := kmsg.NewPtrJoinGroupRequest()
	jg.Group, jg.ProtocolType, jg.SessionTimeoutMillis, jg.RebalanceTimeoutMillis = "g", "consumer", 10000, 10000
	jgp := kmsg.NewJoinGroupRequestProtocol()
	jgp.Name = "range"
	jg.Protocols = []kmsg.JoinGroupRequestProtocol{jgp}
	jgr := ask(jg).(*kmsg.JoinGroupResponse)
	check("JoinGroup", jgr.ErrorCode, groupCode)
	if jgr.Generation != -1 {
		t.Errorf("JoinGroup generation %d, want -1", jgr.Generation)
	}

	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Groups = []string{"g"}
	check("DescribeGroups", ask(dg).(*kmsg.DescribeGroupsResponse).Groups[0].ErrorCode, groupCode)

	delg := kmsg.NewPtrDeleteGroupsRequest()
	delg.Groups = []string{"g"}
	check("DeleteGroups", ask(delg).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode, groupCode)

	of := kmsg.NewPtrOffsetFetchRequest()
	ofg := kmsg.NewOffsetFetchRequestGroup()
	ofg.Group = "g"
	of.Groups = []kmsg.OffsetFetchRequestGroup{ofg}
	check("OffsetFetch", ask(of).(*kmsg.OffsetFetchResponse).Groups[0].ErrorCode, groupCode)

	check("DescribeLogDirs", ask(kmsg.NewPtrDescribeLogDirsRequest()).(*kmsg.DescribeLogDirsResponse).ErrorCode, clusterCode)
	check("DescribeUserScramCredentials", ask(kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()).(*kmsg.DescribeUserSCRAMCredentialsResponse).ErrorCode, clusterCode)

	dcl := kmsg.NewPtrDescribeClusterRequest()
	dcl.IncludeClusterAuthorizedOperations = true
	if ops := ask(dcl).(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations; ops != 0 {
		t.Errorf("DescribeCluster operations %b, want 0", ops)
	}

	// Nothing changed: t is there with one partition; x was not created.
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := td.Names(); len(names) != 1 || names[0] != "t" || len(td["t"].Partitions) != 1 {
		t.Fatalf("topics after the denials: %v", td)
	}
}
