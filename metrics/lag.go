package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/topic"
)

// lagDescs are kafka_exporter's metrics, with its names, help texts and
// labels (kafka_exporter.go), so that dashboards made for it work.
type lagDescs struct {
	brokers, topicPartitions, currentOffset, oldestOffset *prometheus.Desc
	groupOffset, groupOffsetSum, lag, lagSum, members     *prometheus.Desc
}

func newLagDescs() lagDescs {
	d := prometheus.NewDesc
	tp := []string{"topic", "partition"}
	gtp := []string{"consumergroup", "topic", "partition"}
	gt := []string{"consumergroup", "topic"}
	return lagDescs{
		brokers:         d("kafka_brokers", "Number of Brokers in the Kafka Cluster.", nil, nil),
		topicPartitions: d("kafka_topic_partitions", "Number of partitions for this Topic", []string{"topic"}, nil),
		currentOffset:   d("kafka_topic_partition_current_offset", "Current Offset of a Broker at Topic/Partition", tp, nil),
		oldestOffset:    d("kafka_topic_partition_oldest_offset", "Oldest Offset of a Broker at Topic/Partition", tp, nil),
		groupOffset:     d("kafka_consumergroup_current_offset", "Current Offset of a ConsumerGroup at Topic/Partition", gtp, nil),
		groupOffsetSum:  d("kafka_consumergroup_current_offset_sum", "Current Offset of a ConsumerGroup at Topic for all partitions", gt, nil),
		lag:             d("kafka_consumergroup_lag", "Current Approximate Lag of a ConsumerGroup at Topic/Partition", gtp, nil),
		lagSum:          d("kafka_consumergroup_lag_sum", "Current Approximate Lag of a ConsumerGroup at Topic for all partitions", gt, nil),
		members:         d("kafka_consumergroup_members", "Amount of members in a consumer group", []string{"consumergroup"}, nil),
	}
}

func (l *lagDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{l.brokers, l.topicPartitions, l.currentOffset, l.oldestOffset,
		l.groupOffset, l.groupOffsetSum, l.lag, l.lagSum, l.members} {
		ch <- d
	}
}

// collect reports the partitions' offsets and every group's offsets and
// lag, as kafka_exporter with --offset.show-all (its default) does: for
// each group, each topic where it has a committed offset, every partition
// of the topic.
func (l *lagDescs) collect(ch chan<- prometheus.Metric, topics []*topic.Topic, gs group.Stats) {
	gauge := prometheus.GaugeValue
	ch <- prometheus.MustNewConstMetric(l.brokers, gauge, 1)
	byName := make(map[string]*topic.Topic, len(topics))
	for _, t := range topics {
		byName[t.Name] = t
		ch <- prometheus.MustNewConstMetric(l.topicPartitions, gauge, float64(len(t.Partitions)), t.Name)
		for p, log := range t.Partitions {
			ps := partitionLabel(p)
			ch <- prometheus.MustNewConstMetric(l.currentOffset, gauge, float64(log.HighWatermark()), t.Name, ps)
			ch <- prometheus.MustNewConstMetric(l.oldestOffset, gauge, float64(log.LogStartOffset()), t.Name, ps)
		}
	}
	var committed []int64 // by partition, -1: none; reused
	for _, g := range gs.Groups {
		ch <- prometheus.MustNewConstMetric(l.members, gauge, float64(g.Members), g.ID)
		offs := g.Offsets // by topic, then partition
		for len(offs) > 0 {
			name := offs[0].Topic
			n := 1
			for n < len(offs) && offs[n].Topic == name {
				n++
			}
			these := offs[:n]
			offs = offs[n:]
			t := byName[name]
			if t == nil {
				continue // deleted: kafka_exporter's OffsetFetch would not name it
			}
			committed = committed[:0]
			for range t.Partitions {
				committed = append(committed, -1)
			}
			for _, o := range these {
				if o.Partition >= 0 && int(o.Partition) < len(committed) {
					committed[o.Partition] = o.Offset
				}
			}
			var offSum, lagSum int64
			for p, log := range t.Partitions {
				ps := partitionLabel(p)
				cur := committed[p]
				offSum += cur
				ch <- prometheus.MustNewConstMetric(l.groupOffset, gauge, float64(cur), g.ID, name, ps)
				lag := int64(-1)
				if cur != -1 {
					lag = log.HighWatermark() - cur
					lagSum += lag
				}
				ch <- prometheus.MustNewConstMetric(l.lag, gauge, float64(lag), g.ID, name, ps)
			}
			ch <- prometheus.MustNewConstMetric(l.groupOffsetSum, gauge, float64(offSum), g.ID, name)
			ch <- prometheus.MustNewConstMetric(l.lagSum, gauge, float64(lagSum), g.ID, name)
		}
	}
}
