package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

const brokerAPIVersionsUsage = `Usage: strata broker-api-versions --bootstrap-server H:P [--command-config FILE]
This tool helps to retrieve broker version information
(kafka-broker-api-versions.sh): for every broker, each API with the versions
it serves and the newest this client (franz-go) can use.

Options:
  --bootstrap-server H:P   REQUIRED: the server(s) to use for bootstrapping
  --command-config FILE    Admin client properties
`

// apiNames are the names Kafka 4.1 gives its APIs (ApiKeys, from the
// message definitions), by key.
var apiNames = map[int16]string{
	0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata",
	8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
	13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake",
	18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId",
	23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn",
	27: "WriteTxnMarkers", 28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls",
	32: "DescribeConfigs", 33: "AlterConfigs", 34: "AlterReplicaLogDirs", 35: "DescribeLogDirs",
	36: "SaslAuthenticate", 37: "CreatePartitions", 38: "CreateDelegationToken", 39: "RenewDelegationToken",
	40: "ExpireDelegationToken", 41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders",
	44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments", 46: "ListPartitionReassignments",
	47: "OffsetDelete", 48: "DescribeClientQuotas", 49: "AlterClientQuotas", 50: "DescribeUserScramCredentials",
	51: "AlterUserScramCredentials", 52: "Vote", 53: "BeginQuorumEpoch", 54: "EndQuorumEpoch",
	55: "DescribeQuorum", 56: "AlterPartition", 57: "UpdateFeatures", 58: "Envelope", 59: "FetchSnapshot",
	60: "DescribeCluster", 61: "DescribeProducers", 62: "BrokerRegistration", 63: "BrokerHeartbeat",
	64: "UnregisterBroker", 65: "DescribeTransactions", 66: "ListTransactions", 67: "AllocateProducerIds",
	68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe", 70: "ControllerRegistration",
	71: "GetTelemetrySubscriptions", 72: "PushTelemetry", 73: "AssignReplicasToDirs", 74: "ListConfigResources",
	75: "DescribeTopicPartitions", 76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe", 78: "ShareFetch",
	79: "ShareAcknowledge", 80: "AddRaftVoter", 81: "RemoveRaftVoter", 82: "UpdateRaftVoter",
	83: "InitializeShareGroupState", 84: "ReadShareGroupState", 85: "WriteShareGroupState",
	86: "DeleteShareGroupState", 87: "ReadShareGroupStateSummary", 88: "StreamsGroupHeartbeat",
	89: "StreamsGroupDescribe", 90: "DescribeShareGroupOffsets", 91: "AlterShareGroupOffsets",
	92: "DeleteShareGroupOffsets",
}

// controllerOnly are the APIs Kafka 4.1 serves on controller listeners
// only: ApiKeys.clientApis() (the broker listener's) leaves them out, so a
// broker that does not advertise them is not reported UNSUPPORTED for them.
var controllerOnly = map[int16]bool{52: true, 53: true, 54: true, 56: true, 58: true, 59: true, 62: true, 63: true, 67: true, 70: true, 73: true, 82: true}

func runBrokerAPIVersions(args []string, e *cli.Env) int {
	f := cli.NewFlags("broker-api-versions", brokerAPIVersionsUsage)
	bootstrap := f.String("bootstrap-server", "", "")
	cf := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if !f.IsSet("bootstrap-server") {
		return f.UsageError(e, `Missing required argument "[bootstrap-server]"`)
	}
	opts, code := cf.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return fail(e, "broker-api-versions", err)
	}
	defer cl.Close()
	mctx, mcancel := e.OpContext(ctx)
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(mctx, cl)
	mcancel()
	if err != nil {
		return fail(e, "broker-api-versions", err)
	}
	brokers := slices.Clone(meta.Brokers)
	slices.SortFunc(brokers, func(a, b kmsg.MetadataResponseBroker) int { return int(a.NodeID) - int(b.NodeID) })
	for _, b := range brokers {
		rack := "null"
		if b.Rack != nil {
			rack = *b.Rack
		}
		node := fmt.Sprintf("%s:%d (id: %d rack: %s isFenced: false)", b.Host, b.Port, b.NodeID, rack)
		req := kmsg.NewPtrApiVersionsRequest()
		req.ClientSoftwareName, req.ClientSoftwareVersion = "strata", "1"
		actx, acancel := e.OpContext(ctx)
		resp, err := cl.Broker(int(b.NodeID)).RetriableRequest(actx, req)
		acancel()
		if err == nil {
			err = responseErr(resp.(*kmsg.ApiVersionsResponse).ErrorCode, nil)
		}
		if err != nil {
			fmt.Fprintf(e.Stdout, "%s -> ERROR: %s\n", node, errText(err))
			continue
		}
		fmt.Fprintf(e.Stdout, "%s -> %s\n", node, nodeAPIVersions(resp.(*kmsg.ApiVersionsResponse).ApiKeys))
	}
	return cli.ExitOK
}

// nodeAPIVersions is Kafka's NodeApiVersions.toString(true), with "usable"
// computed against the versions kmsg knows (this client's view).
func nodeAPIVersions(keys []kmsg.ApiVersionsResponseApiKey) string {
	text := map[int16]string{}
	for _, k := range keys {
		text[k.ApiKey] = apiVersionText(k)
	}
	for key := range apiNames {
		if _, ok := text[key]; !ok && !controllerOnly[key] {
			text[key] = apiNames[key] + "(" + strconv.Itoa(int(key)) + "): UNSUPPORTED"
		}
	}
	order := make([]int16, 0, len(text))
	for k := range text {
		order = append(order, k)
	}
	slices.Sort(order)
	lines := make([]string, len(order))
	for i, k := range order {
		lines[i] = text[k]
	}
	return "(\n\t" + strings.Join(lines, ",\n\t") + "\n)"
}

func apiVersionText(k kmsg.ApiVersionsResponseApiKey) string {
	var b strings.Builder
	name, known := apiNames[k.ApiKey]
	if known {
		fmt.Fprintf(&b, "%s(%d): ", name, k.ApiKey)
	} else {
		fmt.Fprintf(&b, "UNKNOWN(%d): ", k.ApiKey)
	}
	if k.MinVersion == k.MaxVersion {
		fmt.Fprintf(&b, "%d", k.MinVersion)
	} else {
		fmt.Fprintf(&b, "%d to %d", k.MinVersion, k.MaxVersion)
	}
	if !known {
		return b.String()
	}
	// The client's newest version: kmsg's, or none when kmsg does not
	// know the key; its oldest is 0.
	latest := int16(-1)
	if req := kmsg.RequestForKey(k.ApiKey); req != nil {
		latest = req.MaxVersion()
	}
	switch {
	case latest < k.MinVersion:
		b.WriteString(" [unusable: node too new]")
	case k.MaxVersion < 0:
		b.WriteString(" [unusable: node too old]")
	default:
		fmt.Fprintf(&b, " [usable: %d]", min(latest, k.MaxVersion))
	}
	return b.String()
}
