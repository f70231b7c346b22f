package transactions

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// maxBatch is how many topics or partitions one request of find-hanging
// covers (Kafka's MAX_BATCH_SIZE).
const maxBatch = 500

type topicPartition struct {
	topic     string
	partition int32
}

func (tp topicPartition) String() string { return tp.topic + "-" + itoa(tp.partition) }

// producerState is one active producer of a partition (Kafka's admin
// ProducerState): CoordinatorEpoch and CurrentTxnStartOffset are -1 when
// absent.
type producerState = kadm.DescribedProducer

// describeProducers describes the active producers of tps, on their
// leaders or, with broker >= 0, on that broker (Kafka's
// DescribeProducersOptions.brokerId); it fails on the first partition
// error, as the admin client's all() does.
func (j *job) describeProducers(tps []topicPartition, broker int32) (map[topicPartition][]producerState, error) {
	out := make(map[topicPartition][]producerState, len(tps))
	add := func(tp topicPartition, ps []kmsg.DescribeProducersResponseTopicPartitionActiveProducer) {
		list := out[tp]
		for _, p := range ps {
			list = append(list, producerState{
				Topic: tp.topic, Partition: tp.partition, ProducerID: p.ProducerID, ProducerEpoch: int16(p.ProducerEpoch),
				LastSequence: p.LastSequence, LastTimestamp: p.LastTimestamp, CoordinatorEpoch: p.CoordinatorEpoch,
				CurrentTxnStartOffset: p.CurrentTxnStartOffset,
			})
		}
		out[tp] = list
	}
	req := kmsg.NewPtrDescribeProducersRequest()
	byTopic := map[string]int{}
	for _, tp := range tps {
		i, ok := byTopic[tp.topic]
		if !ok {
			i = len(req.Topics)
			byTopic[tp.topic] = i
			rt := kmsg.NewDescribeProducersRequestTopic()
			rt.Topic = tp.topic
			req.Topics = append(req.Topics, rt)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.partition)
		out[tp] = nil
	}
	var resps []*kmsg.DescribeProducersResponse
	if broker >= 0 {
		resp, err := req.RequestWith(j.ctx, j.cl.Broker(int(broker)))
		if err != nil {
			return nil, err
		}
		resps = append(resps, resp)
	} else {
		for _, sh := range j.cl.RequestSharded(j.ctx, req) {
			if sh.Err != nil {
				return nil, sh.Err
			}
			resps = append(resps, sh.Resp.(*kmsg.DescribeProducersResponse))
		}
	}
	for _, resp := range resps {
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				tp := topicPartition{rt.Topic, rp.Partition}
				if rp.ErrorCode != 0 {
					ke := kerr.ErrorForCode(rp.ErrorCode).(*kerr.Error)
					if ke == kerr.NotLeaderForPartition && broker >= 0 {
						return nil, &txnError{ke, fmt.Sprintf("Failed to describe active producers for partition %s on brokerId %d", tp, broker)}
					}
					return nil, ke
				}
				add(tp, rp.ActiveProducers)
			}
		}
	}
	return out, nil
}

// ---- describe-producers -----------------------------------------------

var producerHeaders = []string{"ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp", "CurrentTransactionStartOffset"}

func describeProducersFlags(f *cli.Flags) func(*job) int {
	broker := f.Int("broker-id", -1, "")
	topic := f.String("topic", "", "")
	partition := f.Int("partition", 0, "")
	return func(j *job) int {
		tp := topicPartition{*topic, int32(*partition)}
		b := int32(-1)
		if f.IsSet("broker-id") {
			b = int32(*broker)
		}
		res, err := j.describeProducers([]topicPartition{tp}, b)
		if err != nil {
			where := "leader"
			if b >= 0 {
				where = "broker " + itoa(b)
			}
			return j.fail(fmt.Sprintf("Failed to describe producers for partition %s on %s", tp, where), err)
		}
		var rows [][]string
		for _, p := range res[tp] {
			start := "None"
			if p.CurrentTxnStartOffset >= 0 {
				start = itoa(p.CurrentTxnStartOffset)
			}
			rows = append(rows, []string{itoa(p.ProducerID), itoa(p.ProducerEpoch), itoa(max(p.CoordinatorEpoch, -1)),
				itoa(p.LastSequence), itoa(p.LastTimestamp), start})
		}
		printTable(j.e.Stdout, producerHeaders, rows)
		return cli.ExitOK
	}
}

// ---- abort --------------------------------------------------------------

// abortSpec is Kafka's AbortTransactionSpec.
type abortSpec struct {
	tp               topicPartition
	producerID       int64
	producerEpoch    int16
	coordinatorEpoch int32
}

func (s abortSpec) String() string {
	return fmt.Sprintf("AbortTransactionSpec(topicPartition=%s, producerId=%d, producerEpoch=%d, coordinatorEpoch=%d)",
		s.tp, s.producerID, s.producerEpoch, s.coordinatorEpoch)
}

func abortFlags(f *cli.Flags) func(*job) int {
	topic := f.String("topic", "", "")
	partition := f.Int("partition", 0, "")
	startOffset := f.Int64("start-offset", 0, "")
	producerID := f.Int64("producer-id", 0, "")
	producerEpoch := f.Int("producer-epoch", 0, "")
	coordinatorEpoch := f.Int("coordinator-epoch", 0, "")
	return func(j *job) int {
		tp := topicPartition{*topic, int32(*partition)}
		if !f.IsSet("start-offset") && !f.IsSet("producer-id") {
			return j.failf("The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)")
		}
		var spec abortSpec
		if !f.IsSet("start-offset") {
			if !f.IsSet("producer-epoch") {
				return j.failf("Missing required argument --producer-epoch")
			}
			if !f.IsSet("coordinator-epoch") {
				return j.failf("Missing required argument --coordinator-epoch")
			}
			if *producerEpoch < math.MinInt16 || *producerEpoch > math.MaxInt16 {
				return f.UsageError(j.e, "argument --producer-epoch: could not convert '%d' to Short", *producerEpoch)
			}
			// A transaction of a new producer that hung before its first
			// marker has coordinator epoch -1; 0 is at most any epoch.
			spec = abortSpec{tp, *producerID, int16(*producerEpoch), int32(max(*coordinatorEpoch, 0))}
		} else {
			res, err := j.describeProducers([]topicPartition{tp}, -1)
			if err != nil {
				return j.fail("Failed to validate producer state for partition "+tp.String(), err)
			}
			i := slices.IndexFunc(res[tp], func(p producerState) bool {
				return p.CurrentTxnStartOffset >= 0 && p.CurrentTxnStartOffset == *startOffset
			})
			if i < 0 {
				return j.failf("Could not find any open transactions starting at offset %d on partition %s", *startOffset, tp)
			}
			p := res[tp][i]
			spec = abortSpec{tp, p.ProducerID, p.ProducerEpoch, max(p.CoordinatorEpoch, 0)}
		}
		if err := j.abort(spec); err != nil {
			return j.fail("Failed to abort transaction "+spec.String(), err)
		}
		return cli.ExitOK
	}
}

// abort writes an abort marker for spec to its partition's leader, with
// the messages of Kafka's AbortTransactionHandler.
func (j *job) abort(spec abortSpec) error {
	m := kadm.TxnMarkers{
		ProducerID: spec.producerID, ProducerEpoch: spec.producerEpoch, CoordinatorEpoch: spec.coordinatorEpoch,
		Topics: kadm.TopicsSet{spec.tp.topic: {spec.tp.partition: {}}},
	}
	rs, err := j.adm.WriteTxnMarkers(j.ctx, m)
	if err != nil {
		var se *kadm.ShardErrors
		if errors.As(err, &se) && len(se.Errs) > 0 {
			err = se.Errs[0].Err
		}
		var ke *kerr.Error
		if !errors.As(err, &ke) {
			return err
		}
	} else {
		err = nil
		r, ok := rs[spec.producerID].Topics[spec.tp.topic].Partitions[spec.tp.partition]
		if !ok {
			return fmt.Errorf("WriteTxnMarkers response included unexpected marker entries: no %s", spec.tp)
		}
		err = r.Err
	}
	var ke *kerr.Error
	if err == nil || !errors.As(err, &ke) {
		return err
	}
	prefix := "WriteTxnMarkers request with " + spec.String() + " failed "
	switch ke {
	case kerr.ClusterAuthorizationFailed:
		return &txnError{ke, prefix + "due to cluster authorization error"}
	case kerr.InvalidProducerEpoch:
		return &txnError{ke, prefix + "due an invalid producer epoch"}
	case kerr.TransactionCoordinatorFenced:
		return &txnError{ke, prefix + fmt.Sprintf("since the provided coordinator epoch %d has been fenced by the active coordinator", spec.coordinatorEpoch)}
	}
	return &txnError{ke, prefix + "due to unexpected error: " + ke.Description}
}

// ---- find-hanging -------------------------------------------------------

var hangingHeaders = []string{"Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp", "Duration(min)"}

func findHangingFlags(f *cli.Flags) func(*job) int {
	broker := f.Int("broker-id", -1, "")
	maxTimeout := f.Int("max-transaction-timeout", 15, "")
	topic := f.String("topic", "", "")
	partition := f.Int("partition", 0, "")
	return func(j *job) int {
		if !f.IsSet("topic") && !f.IsSet("broker-id") {
			return j.failf("The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search")
		}
		if f.IsSet("partition") && !f.IsSet("topic") {
			return j.failf("The --partition argument requires --topic to be provided")
		}
		b := int32(-1)
		if f.IsSet("broker-id") {
			b = int32(*broker)
		}
		var tps []topicPartition
		if f.IsSet("partition") {
			tps = []topicPartition{{*topic, int32(*partition)}}
		} else {
			var code int
			if tps, code = j.partitionsToSearch(*topic, b); code != cli.ExitOK {
				return code
			}
		}
		hanging, code := j.hanging(tps, b, int64(*maxTimeout)*60000)
		if code != cli.ExitOK {
			return code
		}
		now := j.e.Now().UnixMilli()
		rows := make([][]string, 0, len(hanging))
		for _, p := range hanging {
			rows = append(rows, []string{p.Topic, itoa(p.Partition), itoa(p.ProducerID), itoa(p.ProducerEpoch),
				itoa(max(p.CoordinatorEpoch, -1)), itoa(max(p.CurrentTxnStartOffset, -1)), itoa(p.LastTimestamp),
				itoa((now - p.LastTimestamp) / 60000)})
		}
		printTable(j.e.Stdout, hangingHeaders, rows)
		return cli.ExitOK
	}
}

// partitionsToSearch lists the partitions of topic (every topic, internal
// ones included, when empty) with a replica on broker (any when < 0).
func (j *job) partitionsToSearch(topic string, broker int32) ([]topicPartition, int) {
	var topics []string
	if topic != "" {
		topics = []string{topic}
	} else {
		ts, err := j.adm.ListTopicsWithInternal(j.ctx)
		if err != nil {
			return nil, j.fail("Failed to list topics", err)
		}
		topics = ts.Names()
	}
	var out []topicPartition
	for batch := range slices.Chunk(topics, maxBatch) {
		ts, err := j.adm.ListTopicsWithInternal(j.ctx, batch...)
		if err == nil {
			err = ts.Error()
		}
		if err != nil {
			return nil, j.fail(fmt.Sprintf("Failed to describe %d topics", len(batch)), err)
		}
		for _, td := range ts.Sorted() {
			for _, pd := range td.Partitions.Sorted() {
				if broker < 0 || slices.Contains(pd.Replicas, broker) {
					out = append(out, topicPartition{td.Topic, pd.Partition})
				}
			}
		}
	}
	return out, cli.ExitOK
}

// hanging finds the open transactions of tps that started more than
// maxMs ago and that their coordinator no longer expects to end there:
// their producer has no transactional ID, its transactional ID is gone,
// or its transaction does not include the partition (Kafka's
// filterHangingTransactions).
func (j *job) hanging(tps []topicPartition, broker int32, maxMs int64) ([]producerState, int) {
	var candidates []producerState
	for batch := range slices.Chunk(tps, maxBatch) {
		res, err := j.describeProducers(batch, broker)
		if err != nil {
			return nil, j.fail(fmt.Sprintf("Failed to describe producers for %d partitions on broker %s", len(batch), optionalInt(broker)), err)
		}
		now := j.e.Now().UnixMilli()
		for _, tp := range batch {
			for _, p := range res[tp] {
				if p.CurrentTxnStartOffset >= 0 && now-p.LastTimestamp > maxMs {
					candidates = append(candidates, p)
				}
			}
		}
	}
	if len(candidates) == 0 {
		return nil, cli.ExitOK
	}
	var pids []int64
	for _, c := range candidates {
		if !slices.Contains(pids, c.ProducerID) {
			pids = append(pids, c.ProducerID)
		}
	}
	slices.Sort(pids)
	listed, err := j.listAll(pids, -1, nil)
	if err != nil {
		return nil, j.fail(fmt.Sprintf("Failed to list transactions for %d producers", len(pids)), err)
	}
	txnIDs := map[int64]string{}
	for _, l := range listed {
		if slices.Contains(pids, l.ProducerID) {
			txnIDs[l.ProducerID] = l.TxnID
		}
	}
	descs := map[string]*kadm.DescribedTransaction{}
	var ids []string
	for _, id := range txnIDs {
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		ds, err := j.adm.DescribeTransactions(j.ctx, ids...)
		if err != nil && len(ds) == 0 {
			return nil, j.fail(fmt.Sprintf("Failed to describe %d transactions", len(ids)), err)
		}
		for _, id := range ids {
			d, ok := ds[id]
			switch {
			case !ok || errors.Is(d.Err, kerr.TransactionalIDNotFound):
				descs[id] = nil
			case d.Err != nil:
				return nil, j.fail(fmt.Sprintf("Failed to describe %d transactions", len(ids)), describeErr(id, d.Err))
			default:
				descs[id] = &d
			}
		}
	}
	var out []producerState
	for _, c := range candidates {
		id, ok := txnIDs[c.ProducerID]
		if !ok {
			out = append(out, c)
			continue
		}
		d := descs[id]
		if d == nil {
			out = append(out, c)
			continue
		}
		if _, in := d.Topics[c.Topic][c.Partition]; !in {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b producerState) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.ProducerID, b.ProducerID))
	})
	return out, cli.ExitOK
}

// optionalInt prints a broker ID as Java prints an Optional<Integer>.
func optionalInt(b int32) string {
	if b < 0 {
		return "Optional.empty"
	}
	return "Optional[" + itoa(b) + "]"
}
