package metrics

import (
	"strconv"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/server"
	"github.com/stratabroker/strata/topic"
)

// The families with a series per topic, partition or group are written
// here as Prometheus text directly, not through client_golang's registry:
// a broker of 10,000 partitions has some 60,000 such series, and the
// registry's Gather (a dto.Metric per series, label checks, sorting) and
// expfmt's encoder took 100 ms and 80 ms for them (BenchmarkScrape before
// this writer: 183 ms a scrape; after: 13 ms). Each family
// is one pass over the topics or groups, appending to one buffer.

// family is a metric family's header.
type family struct {
	name, help, typ string
}

var (
	famBytesIn    = family{"strata_topic_bytes_in_total", "Bytes of record batches appended to the topic, as stored.", "counter"}
	famRecordsIn  = family{"strata_topic_records_in_total", "Records appended to the topic.", "counter"}
	famBytesOut   = family{"strata_topic_bytes_out_total", "Record bytes of the topic sent in Fetch responses.", "counter"}
	famRecordsOut = family{"strata_topic_records_out_total", "Offsets of the topic sent in Fetch responses (whole batches).", "counter"}
	famLogSize    = family{"strata_log_size_bytes", "Bytes of the partition's log segments.", "gauge"}
	famSegments   = family{"strata_log_segments", "Segments of the partition's log.", "gauge"}

	famGroups        = family{"strata_groups", "Consumer groups, by state.", "gauge"}
	famGroupMembers  = family{"strata_group_members", "Members of all consumer groups.", "gauge"}
	famOffsetCommits = family{"strata_group_offset_commits_total", "Offsets committed (one per partition of each successful OffsetCommit).", "counter"}

	// kafka_exporter's (kafka_exporter.go): names, help texts, labels.
	famBrokers        = family{"kafka_brokers", "Number of Brokers in the Kafka Cluster.", "gauge"}
	famTopicParts     = family{"kafka_topic_partitions", "Number of partitions for this Topic", "gauge"}
	famCurrentOffset  = family{"kafka_topic_partition_current_offset", "Current Offset of a Broker at Topic/Partition", "gauge"}
	famOldestOffset   = family{"kafka_topic_partition_oldest_offset", "Oldest Offset of a Broker at Topic/Partition", "gauge"}
	famGroupOffset    = family{"kafka_consumergroup_current_offset", "Current Offset of a ConsumerGroup at Topic/Partition", "gauge"}
	famGroupOffsetSum = family{"kafka_consumergroup_current_offset_sum", "Current Offset of a ConsumerGroup at Topic for all partitions", "gauge"}
	famLag            = family{"kafka_consumergroup_lag", "Current Approximate Lag of a ConsumerGroup at Topic/Partition", "gauge"}
	famLagSum         = family{"kafka_consumergroup_lag_sum", "Current Approximate Lag of a ConsumerGroup at Topic for all partitions", "gauge"}
	famMembers        = family{"kafka_consumergroup_members", "Amount of members in a consumer group", "gauge"}
)

// stateFamilies are the families writeState writes, for name[] filtering.
var stateFamilies = []family{
	famBrokers, famMembers, famGroupOffset, famGroupOffsetSum, famLag, famLagSum,
	famCurrentOffset, famOldestOffset, famTopicParts,
	famGroupMembers, famOffsetCommits, famGroups, famSegments, famLogSize,
	famBytesIn, famBytesOut, famRecordsIn, famRecordsOut,
	famTxns, famMarkers, famTimeoutAborts, famLSOLag,
}

// groupTopic is one group's committed offsets on one topic, by partition
// (-1: none), as kafka_exporter with --offset.show-all (its default)
// reports them: every partition of each topic the group has committed an
// offset on.
type groupTopic struct {
	group     string
	t         *topic.Topic
	committed []int64
}

// writeState appends the families of the registry's topics and the
// coordinator's groups to b, those for which want is true.
func writeState(b []byte, srv *server.Server, want func(string) bool) []byte {
	topics := srv.Registry().List()
	gs, _ := srv.GroupStats()
	byName := make(map[string]*topic.Topic, len(topics))
	for _, t := range topics {
		byName[t.Name] = t
	}
	var gts []groupTopic
	for _, g := range gs.Groups {
		offs := g.Offsets // by topic, then partition
		for len(offs) > 0 {
			n := 1
			for n < len(offs) && offs[n].Topic == offs[0].Topic {
				n++
			}
			these := offs[:n]
			offs = offs[n:]
			t := byName[these[0].Topic]
			if t == nil {
				continue // deleted: kafka_exporter's OffsetFetch would not name it
			}
			gt := groupTopic{group: g.ID, t: t, committed: make([]int64, len(t.Partitions))}
			for i := range gt.committed {
				gt.committed[i] = -1
			}
			for _, o := range these {
				if o.Partition >= 0 && int(o.Partition) < len(gt.committed) {
					gt.committed[o.Partition] = o.Offset
				}
			}
			gts = append(gts, gt)
		}
	}
	w := textWriter{b: b, want: want}

	if w.start(famBrokers) {
		w.sample(famBrokers.name, "", 1)
	}
	if w.start(famMembers) {
		for _, g := range gs.Groups {
			w.sample1(famMembers.name, "consumergroup", g.ID, int64(g.Members))
		}
	}
	if w.start(famGroupOffset) {
		for _, gt := range gts {
			for p, cur := range gt.committed {
				w.groupSample(famGroupOffset.name, gt.group, p, gt.t.Name, cur)
			}
		}
	}
	if w.start(famGroupOffsetSum) {
		for _, gt := range gts {
			var sum int64
			for _, cur := range gt.committed {
				sum += cur // kafka_exporter adds the -1 of a partition without a commit too
			}
			w.sample2(famGroupOffsetSum.name, "consumergroup", gt.group, "topic", gt.t.Name, sum)
		}
	}
	if w.start(famLag) {
		for _, gt := range gts {
			for p, cur := range gt.committed {
				w.groupSample(famLag.name, gt.group, p, gt.t.Name, lag(gt.t, p, cur))
			}
		}
	}
	if w.start(famLagSum) {
		for _, gt := range gts {
			var sum int64
			for p, cur := range gt.committed {
				if cur != -1 {
					sum += lag(gt.t, p, cur)
				}
			}
			w.sample2(famLagSum.name, "consumergroup", gt.group, "topic", gt.t.Name, sum)
		}
	}
	partitionFamily := func(f family, value func(t *topic.Topic, p int) int64) {
		if !w.start(f) {
			return
		}
		for _, t := range topics {
			for p := range t.Partitions {
				w.partitionSample(f.name, p, t.Name, value(t, p))
			}
		}
	}
	partitionFamily(famCurrentOffset, func(t *topic.Topic, p int) int64 { return t.Partitions[p].HighWatermark() })
	partitionFamily(famOldestOffset, func(t *topic.Topic, p int) int64 { return t.Partitions[p].LogStartOffset() })
	if w.start(famTopicParts) {
		for _, t := range topics {
			w.sample1(famTopicParts.name, "topic", t.Name, int64(len(t.Partitions)))
		}
	}

	if w.start(famGroupMembers) {
		members := 0
		for _, g := range gs.Groups {
			members += g.Members
		}
		w.sample(famGroupMembers.name, "", int64(members))
	}
	if w.start(famOffsetCommits) {
		w.sample(famOffsetCommits.name, "", gs.OffsetCommits)
	}
	if w.start(famGroups) {
		for _, s := range group.StateNames() {
			n := 0
			for _, g := range gs.Groups {
				if g.State == s {
					n++
				}
			}
			w.sample1(famGroups.name, "state", s, int64(n))
		}
	}
	partitionFamily(famSegments, func(t *topic.Topic, p int) int64 { return int64(t.Partitions[p].Segments()) })
	partitionFamily(famLogSize, func(t *topic.Topic, p int) int64 { return t.Partitions[p].Size() })
	topicFamily := func(f family, value func(c *topic.Counters) int64) {
		if !w.start(f) {
			return
		}
		for _, t := range topics {
			if t.Counters != nil {
				w.sample1(f.name, "topic", t.Name, value(t.Counters))
			}
		}
	}
	topicFamily(famBytesIn, func(c *topic.Counters) int64 { return c.BytesIn.Load() })
	topicFamily(famBytesOut, func(c *topic.Counters) int64 { return c.BytesOut.Load() })
	topicFamily(famRecordsIn, func(c *topic.Counters) int64 { return c.RecordsIn.Load() })
	topicFamily(famRecordsOut, func(c *topic.Counters) int64 { return c.RecordsOut.Load() })
	writeCleaner(&w, srv)          // cleaner.go
	writeTxnState(&w, srv, topics) // txn.go
	return w.b
}

// lag is kafka_exporter's: the high watermark less the committed offset,
// -1 without a commit.
func lag(t *topic.Topic, p int, committed int64) int64 {
	if committed == -1 {
		return -1
	}
	return t.Partitions[p].HighWatermark() - committed
}

// textWriter appends Prometheus text exposition (format 0.0.4).
type textWriter struct {
	b    []byte
	want func(string) bool
}

// start writes f's HELP and TYPE lines, or reports false when f is not
// wanted.
func (w *textWriter) start(f family) bool {
	if w.want != nil && !w.want(f.name) {
		return false
	}
	w.b = append(w.b, "# HELP "...)
	w.b = append(w.b, f.name...)
	w.b = append(w.b, ' ')
	w.b = appendHelp(w.b, f.help)
	w.b = append(w.b, "\n# TYPE "...)
	w.b = append(w.b, f.name...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, f.typ...)
	w.b = append(w.b, '\n')
	return true
}

// sample writes name, the label text labels ("" or `{a="b",...}`) and v.
func (w *textWriter) sample(name, labels string, v int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, labels...)
	w.b = append(w.b, ' ')
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, '\n')
}

func (w *textWriter) sample1(name, k, v string, val int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, '{')
	w.b = appendLabel(w.b, k, v)
	w.b = append(w.b, "} "...)
	w.b = strconv.AppendInt(w.b, val, 10)
	w.b = append(w.b, '\n')
}

func (w *textWriter) sample2(name, k1, v1, k2, v2 string, val int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, '{')
	w.b = appendLabel(w.b, k1, v1)
	w.b = append(w.b, ',')
	w.b = appendLabel(w.b, k2, v2)
	w.b = append(w.b, "} "...)
	w.b = strconv.AppendInt(w.b, val, 10)
	w.b = append(w.b, '\n')
}

func (w *textWriter) partitionSample(name string, p int, topicName string, val int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, `{partition="`...)
	w.b = strconv.AppendInt(w.b, int64(p), 10)
	w.b = append(w.b, `",`...)
	w.b = appendLabel(w.b, "topic", topicName)
	w.b = append(w.b, "} "...)
	w.b = strconv.AppendInt(w.b, val, 10)
	w.b = append(w.b, '\n')
}

func (w *textWriter) groupSample(name, groupID string, p int, topicName string, val int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, '{')
	w.b = appendLabel(w.b, "consumergroup", groupID)
	w.b = append(w.b, `,partition="`...)
	w.b = strconv.AppendInt(w.b, int64(p), 10)
	w.b = append(w.b, `",`...)
	w.b = appendLabel(w.b, "topic", topicName)
	w.b = append(w.b, "} "...)
	w.b = strconv.AppendInt(w.b, val, 10)
	w.b = append(w.b, '\n')
}

// appendLabel appends k="v", v escaped as the text format escapes label
// values (backslash, double quote, newline).
func appendLabel(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, '=', '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendHelp appends a HELP text, escaped (backslash, newline).
func appendHelp(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}
