package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The transactions page: every transaction the coordinators know
// (ListTransactions to every broker, DescribeTransactions), and the
// partitions whose last stable offset an open transaction holds below the
// high watermark (ListOffsets read_committed and read_uncommitted, then
// DescribeProducers of those partitions). A transaction is flagged hanging
// when it has been open longer than its timeout; a held partition when its
// transaction has been open longer than that transaction's timeout, or
// than hangingAfter when no coordinator lists the partition in the
// producer's transaction (what `strata transactions find-hanging`
// reports).

// hangingAfter is how long a transaction holding a partition's LSO that
// no coordinator knows may stay open before it is flagged: Kafka's
// transaction.max.timeout.ms default, find-hanging's
// --max-transaction-timeout.
const hangingAfter = 15 * time.Minute

// maxHeld bounds the partitions DescribeProducers is asked about.
const maxHeld = 1000

type txnRow struct {
	ID          string
	State       string
	ProducerID  int64
	Epoch       int16
	Partitions  []string // "topic-partition", sorted
	Age         string   // since the transaction began; "" when none is open
	TimeoutMs   int32
	Coordinator int32
	Hanging     string // why it is flagged; "" when it is not
}

type heldRow struct {
	Topic      string
	Partition  int32
	LSO, HW    int64
	ProducerID int64
	Epoch      int16
	Start      int64 // the first offset of the open transaction
	Age        string
	TxnID      string // "" when no coordinator lists it
	Hanging    string
}

type txnData struct {
	Txns      []txnRow
	Held      []heldRow
	Truncated bool // more partitions were held than maxHeld
}

// open reports whether a state is one of an open transaction.
func open(state string) bool {
	return state == "Ongoing" || state == "PrepareCommit" || state == "PrepareAbort"
}

func (s *Server) transactions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := time.Now()
	listed, err := s.adm.ListTransactions(ctx, nil, nil)
	if err != nil && len(listed) == 0 {
		return err
	}
	var ids []string
	for _, l := range listed.Sorted() {
		ids = append(ids, l.TxnID)
	}
	described := kadm.DescribedTransactions{}
	if len(ids) > 0 {
		if described, err = s.adm.DescribeTransactions(ctx, ids...); err != nil && len(described) == 0 {
			return err
		}
	}
	var d txnData
	byPID := map[int64]*kadm.DescribedTransaction{}
	for _, l := range listed.Sorted() {
		row := txnRow{ID: l.TxnID, State: l.State, ProducerID: l.ProducerID, Epoch: -1, Coordinator: l.Coordinator}
		if dt, ok := described[l.TxnID]; ok && dt.Err == nil {
			row.State, row.ProducerID, row.Epoch, row.TimeoutMs = dt.State, dt.ProducerID, dt.ProducerEpoch, dt.TimeoutMillis
			for _, tp := range dt.Topics.Sorted() {
				for _, p := range tp.Partitions {
					row.Partitions = append(row.Partitions, tp.Topic+"-"+strconv.Itoa(int(p)))
				}
			}
			if dt.StartTimestamp >= 0 && open(dt.State) {
				age := now.Sub(time.UnixMilli(dt.StartTimestamp))
				row.Age = humanAge(age)
				if age > time.Duration(dt.TimeoutMillis)*time.Millisecond {
					row.Hanging = fmt.Sprintf("open %s, longer than its timeout (%s)", row.Age, humanAge(time.Duration(dt.TimeoutMillis)*time.Millisecond))
				}
			}
			byPID[dt.ProducerID] = &dt
		}
		d.Txns = append(d.Txns, row)
	}
	held, truncated, err := s.heldPartitions(r)
	if err != nil {
		return err
	}
	d.Truncated = truncated
	for _, h := range held {
		age := now.Sub(time.UnixMilli(h.lastTimestamp))
		row := heldRow{Topic: h.topic, Partition: h.partition, LSO: h.lso, HW: h.hw, ProducerID: h.pid, Epoch: h.epoch, Start: h.start, Age: humanAge(age)}
		dt := byPID[h.pid]
		in := dt != nil && open(dt.State)
		if in {
			_, in = dt.Topics[h.topic][h.partition]
		}
		switch {
		case in:
			row.TxnID = dt.TxnID
			if limit := time.Duration(dt.TimeoutMillis) * time.Millisecond; age > limit {
				row.Hanging = fmt.Sprintf("LSO held %s, longer than the transaction's timeout (%s)", row.Age, humanAge(limit))
			}
		case age > hangingAfter:
			row.Hanging = fmt.Sprintf("LSO held %s by a transaction no coordinator lists for this partition", row.Age)
		}
		if row.Hanging != "" && dt != nil {
			for i := range d.Txns {
				if d.Txns[i].ProducerID == h.pid && d.Txns[i].Hanging == "" {
					d.Txns[i].Hanging = "partition " + h.topic + "-" + strconv.Itoa(int(h.partition)) + ": " + row.Hanging
				}
			}
		}
		d.Held = append(d.Held, row)
	}
	return s.render(w, r, http.StatusOK, "transactions.html", "Transactions", "transactions", d)
}

// held is a partition whose LSO an open transaction holds.
type held struct {
	topic         string
	partition     int32
	lso, hw       int64
	pid           int64
	epoch         int16
	start         int64
	lastTimestamp int64
}

// heldPartitions finds the partitions, internal ones included, whose last
// stable offset is below the high watermark, and the producer whose open
// transaction starts there (pid -1 when none does any more: the
// transaction ended between the two requests).
func (s *Server) heldPartitions(r *http.Request) ([]held, bool, error) {
	ctx := r.Context()
	tds, err := s.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, false, err
	}
	names := tds.Names()
	if len(names) == 0 {
		return nil, false, nil
	}
	ends, err := s.adm.ListEndOffsets(ctx, names...)
	if err != nil && len(ends) == 0 {
		return nil, false, err
	}
	stable, err := s.adm.ListCommittedOffsets(ctx, names...)
	if err != nil && len(stable) == 0 {
		return nil, false, err
	}
	var out []held
	set := kadm.TopicsSet{}
	truncated := false
	stable.Each(func(o kadm.ListedOffset) {
		e, ok := ends.Lookup(o.Topic, o.Partition)
		if o.Err != nil || !ok || e.Err != nil || o.Offset >= e.Offset {
			return
		}
		if len(out) == maxHeld {
			truncated = true
			return
		}
		out = append(out, held{topic: o.Topic, partition: o.Partition, lso: o.Offset, hw: e.Offset, pid: -1})
		set.Add(o.Topic, o.Partition)
	})
	if len(out) == 0 {
		return nil, false, nil
	}
	prods, err := s.adm.DescribeProducers(ctx, set)
	if err != nil && len(prods) == 0 {
		return nil, false, err
	}
	for i := range out {
		h := &out[i]
		dp, ok := prods[h.topic].Partitions[h.partition]
		if !ok || dp.Err != nil {
			continue
		}
		for _, p := range dp.ActiveProducers.Sorted() {
			if p.CurrentTxnStartOffset == h.lso {
				h.pid, h.epoch, h.start, h.lastTimestamp = p.ProducerID, p.ProducerEpoch, p.CurrentTxnStartOffset, p.LastTimestamp
			}
		}
	}
	slices.SortFunc(out, func(a, b held) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	return out, truncated, nil
}

// humanAge is a duration as "3m12s", "45s", "1h02m", "2d03h".
func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
