package txn

import (
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/batchq"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Records in __transaction_state are Kafka's TransactionLog records: key
// version 0 (the transactional ID), value version 0, or version 1
// (flexible, with the tagged previous/next producer IDs) once
// transaction.version is finalized at 1 or more (kmsg.TxnMetadataValue). A
// null value is a tombstone.

const (
	keyVersion  = 0
	replayChunk = 1 << 20
	maxRecord   = 64 << 20
)

// ErrReplay: a __transaction_state partition could not be read back.
var ErrReplay = errors.New("txn: load of __transaction_state failed")

func recordKey(id string) []byte {
	k := kmsg.TxnMetadataKey{Version: keyVersion, TransactionalID: id}
	return k.AppendTo(nil)
}

func recordValue(t *transit, version int16) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.Version = version
	v.PreviousProducerID = t.previousProducerID
	v.NextProducerID, v.NextProducerEpoch, v.ClientTransactionVersion = t.nextProducerID, -1, 0
	if t.tv2 {
		v.ClientTransactionVersion = 2
	}
	v.ProducerID = t.producerID
	v.ProducerEpoch = t.producerEpoch
	v.TimeoutMillis = t.timeoutMs
	v.State = kmsg.TransactionState(t.state)
	var cur *kmsg.TxnMetadataValueTopic
	for _, tp := range sortedPartitions(t.partitions) {
		if cur == nil || cur.Topic != tp.Topic {
			v.Topics = append(v.Topics, kmsg.NewTxnMetadataValueTopic())
			cur = &v.Topics[len(v.Topics)-1]
			cur.Topic = tp.Topic
		}
		cur.Partitions = append(cur.Partitions, tp.Partition)
	}
	v.LastUpdateTimestamp = t.updateMs
	v.StartTimestamp = t.startMs
	return v.AppendTo(nil)
}

// A writer appends batches to one __transaction_state partition in the
// order the loop queued them and hands each result back to the loop.
type writer struct {
	c   *Coordinator
	p   int32
	log *partition.Log
	q   *batchq.Queue[write]
}

type write struct {
	batch []byte
	done  func(error) // runs on the loop
}

func (w *writer) enqueue(x write) { w.q.Put(x) }

func (w *writer) run() {
	defer w.c.wg.Done()
	for {
		q, ok := w.q.Take(w.c.stop)
		if !ok {
			return
		}
		for _, x := range q {
			select {
			case <-w.c.stop:
				return
			default:
			}
			if h := w.c.opts.beforeAppend; h != nil {
				h(w.p)
			}
			_, err := w.log.Append(x.batch, true)
			if !w.c.post(func() { x.done(err) }) {
				return
			}
		}
	}
}

// store appends the record of m's pending transition t (a tombstone when
// t.state is Dead); done runs on the loop after the append, with nil or
// Kafka's answer for the failure (TransactionStateManager's mapping).
func (c *Coordinator) store(m *meta, t *transit, done func(error)) {
	p := PartitionFor(m.id, len(c.writers))
	w := c.writers[p]
	b := c.builder
	b.Reset()
	rec := &recordbatch.Record{Timestamp: c.nowMs(), Key: recordKey(m.id)}
	if t.state != Dead {
		var version int16
		if f := c.opts.TransactionVersion; t.tv2 || (f != nil && f() >= 1) {
			version = 1
		}
		rec.Value = recordValue(t, version)
	}
	b.Add(rec)
	batch, err := b.AppendTo(nil)
	if err != nil {
		c.later = append(c.later, func() { done(kerr.UnknownServerError) })
		return
	}
	w.enqueue(write{batch: batch, done: func(err error) {
		switch {
		case err == nil:
			done(nil)
		case errors.Is(err, partition.ErrMessageTooLarge), errors.Is(err, partition.ErrRecordListTooLarge):
			done(kerr.UnknownServerError)
		default:
			// The log is closed or failed: NOT_COORDINATOR, as Kafka
			// answers a write it could not make as leader.
			c.log.Warn("append to __transaction_state failed", "transactional_id", m.id, "err", err)
			done(errNotCoordinator)
		}
	}})
}

// load replays every partition into a map, then hands it to the loop,
// which starts the writers, the timers, and the completion of the
// transactions left in PrepareCommit or PrepareAbort.
func (c *Coordinator) load() {
	defer c.wg.Done()
	if g := c.opts.loadGate; g != nil {
		select {
		case <-g:
		case <-c.stop:
			return
		}
	}
	start := c.opts.Now()
	txns := make(map[string]*meta)
	for p, l := range c.opts.Logs {
		select {
		case <-c.stop:
			return
		default:
		}
		if err := replay(int32(p), l, txns, c.log); err != nil {
			c.log.Error("loading __transaction_state", "err", err)
			return // requests keep getting COORDINATOR_LOAD_IN_PROGRESS
		}
	}
	c.post(func() {
		c.txns = txns
		for p, l := range c.opts.Logs {
			w := &writer{c: c, p: int32(p), log: l, q: batchq.New[write]()}
			c.writers = append(c.writers, w)
			c.wg.Add(1)
			go w.run()
		}
		ids := make([]string, 0, len(txns))
		for id, m := range txns {
			if m.state == PrepareCommit || m.state == PrepareAbort {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			c.sendMarkers(txns[id])
		}
		if !c.opts.disableBackgroundJobs {
			c.every(c.opts.AbortCheckInterval, c.abortTimedOut)
			c.every(c.opts.ExpiredCheckInterval, c.expireIDs)
		}
		c.loaded.Store(true)
		c.log.Info("transactions loaded", "transactional_ids", len(txns), "completing", len(ids), "took", c.opts.Now().Sub(start))
		if c.opts.afterLoad != nil {
			c.opts.afterLoad()
		}
	})
}

// replay reads one partition from its start into txns.
func replay(p int32, l *partition.Log, txns map[string]*meta, log interface {
	Warn(string, ...any)
}) error {
	it := recordbatch.NewIterator(nil, maxRecord)
	var buf []byte
	off := l.LogStartOffset()
	for off < l.HighWatermark() {
		rr, err := l.Read(off, replayChunk)
		if err != nil {
			return fmt.Errorf("%w: partition %d at offset %d: %w", ErrReplay, p, off, err)
		}
		next := off
		for _, s := range rr.Slices {
			if s.Len == 0 {
				continue
			}
			if cap(buf) < int(s.Len) {
				buf = make([]byte, s.Len)
			}
			buf = buf[:s.Len]
			if _, err := s.File.ReadAt(buf, s.Pos); err != nil {
				rr.Release()
				return fmt.Errorf("%w: partition %d: %w", ErrReplay, p, err)
			}
			for b := buf; len(b) > 0; {
				n, err := recordbatch.BatchSize(b)
				if err != nil || n > len(b) {
					rr.Release()
					return fmt.Errorf("%w: partition %d: batch at byte %d: %v", ErrReplay, p, s.Pos+int64(len(buf)-len(b)), err)
				}
				h := recordbatch.Header(b[:n])
				if !h.Control() {
					it.Reset(b[:n], maxRecord)
					for it.Next() {
						r := it.Record()
						if err := apply(txns, r.Key, r.Value); err != nil {
							log.Warn("skipping __transaction_state record", "partition", p, "offset", r.Offset, "err", err)
						}
					}
					if err := it.Err(); err != nil {
						rr.Release()
						return fmt.Errorf("%w: partition %d: %w", ErrReplay, p, err)
					}
				}
				next = h.NextOffset()
				b = b[n:]
			}
		}
		rr.Release()
		if next <= off {
			break
		}
		off = next
	}
	return nil
}

// apply folds one record into txns: the last record of an ID is its state.
func apply(txns map[string]*meta, key, value []byte) error {
	var k kmsg.TxnMetadataKey
	if err := k.ReadFrom(key); err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if k.Version != keyVersion {
		return fmt.Errorf("key version %d", k.Version)
	}
	if value == nil {
		delete(txns, k.TransactionalID)
		return nil
	}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(value); err != nil {
		return fmt.Errorf("value of %q: %w", k.TransactionalID, err)
	}
	m := txns[k.TransactionalID]
	if m == nil {
		m = &meta{id: k.TransactionalID, previousProducerID: noProducerID, lastProducerEpoch: noProducerEpoch, nextProducerID: noProducerID}
		txns[k.TransactionalID] = m
	}
	if v.Version >= 1 && v.PreviousProducerID >= 0 {
		m.previousProducerID = v.PreviousProducerID
	}
	m.nextProducerID, m.tv2 = noProducerID, false
	if v.Version >= 1 {
		m.nextProducerID, m.tv2 = v.NextProducerID, v.ClientTransactionVersion >= 2
	}
	m.producerID, m.producerEpoch = v.ProducerID, v.ProducerEpoch
	m.timeoutMs, m.state = v.TimeoutMillis, State(v.State)
	m.startMs, m.updateMs = v.StartTimestamp, v.LastUpdateTimestamp
	m.partitions = nil
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			if m.partitions == nil {
				m.partitions = make(map[TopicPartition]struct{})
			}
			m.partitions[TopicPartition{t.Topic, p}] = struct{}{}
		}
	}
	return nil
}
