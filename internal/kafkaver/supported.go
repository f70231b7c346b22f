package kafkaver

// SupportedFeature is a feature this build of Strata knows, with the range
// of levels it supports.
type SupportedFeature struct {
	Name     string
	Min, Max int16
}

// Supported are the features Kafka 4.1 knows with the levels Strata
// supports, by name. A feature whose Max is 0 is not listed among an
// ApiVersions response's supported features (Kafka's BrokerFeatures).
var Supported = []SupportedFeature{
	{"eligible.leader.replicas.version", 0, 0},
	{"group.version", 0, 0},
	{KRaftVersionName, 0, 0},
	{MetadataVersionName, Minimum, LatestProduction},
	{"share.version", 0, 0},
	{"streams.version", 0, 0},
	{"transaction.version", 0, 2}, // 1: flexible __transaction_state records; 2: KIP-890 part 2 (txn/, server/end_txn.go)
}

// SupportedRange returns the levels of name this build supports; an
// unknown feature gets 0-0 (Kafka's QuorumFeatures.DISABLED) and known
// false.
func SupportedRange(name string) (min, max int16, known bool) {
	for _, f := range Supported {
		if f.Name == name {
			return f.Min, f.Max, true
		}
	}
	return 0, 0, false
}
