package txn

import (
	"errors"
	"time"
)

// sendMarkers writes the markers of m's PrepareCommit or PrepareAbort
// (Kafka's TransactionMarkerChannelManager.addTxnMarkersToSend) on a
// goroutine, then, back on the loop, writes CompleteCommit or
// CompleteAbort. Called on the loop, with m in a Prepare state.
func (c *Coordinator) sendMarkers(m *meta) {
	commit := m.state == PrepareCommit
	pid, epoch := m.producerID, m.producerEpoch
	tps := sortedPartitions(m.partitions)
	// Nothing may change m until the Complete record: the pending
	// transition is the Complete one, already computed (Kafka's
	// prepareComplete before the markers).
	t := m.prepareComplete(c.nowMs())
	m.pending = t
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for _, tp := range tps {
			if !c.writeMarker(tp, pid, epoch, commit) {
				return // closing: the next Open completes the transaction
			}
		}
		c.post(func() {
			t.updateMs = c.nowMs()
			c.store(m, t, func(err error) {
				if err != nil {
					// Kafka retries the Complete write the same way it
					// would after a reload: the markers again, then it.
					c.log.Warn("writing the completion of a transaction", "transactional_id", m.id, "err", err)
					m.pending = nil
					c.later = append(c.later, func() {
						time.AfterFunc(c.opts.MarkerRetryBackoff, func() {
							c.post(func() {
								if m.pending == nil && (m.state == PrepareCommit || m.state == PrepareAbort) && c.txns[m.id] == m {
									c.sendMarkers(m)
								}
							})
						})
					})
					return
				}
				m.complete(t)
			})
		})
	}()
}

// writeMarker writes one marker, retrying until it is written, its
// partition is gone, or the coordinator stops (false).
func (c *Coordinator) writeMarker(tp TopicPartition, pid int64, epoch int16, commit bool) bool {
	for {
		err := error(nil)
		if h := c.opts.beforeMarker; h != nil {
			err = h(tp)
		}
		if err == nil {
			err = c.opts.Markers.WriteMarker(tp, pid, epoch, commit, c.opts.CoordinatorEpoch)
		}
		switch {
		case err == nil:
			c.markersWritten.Add(1)
			return true
		case errors.Is(err, ErrPartitionGone):
			c.log.Info("dropping the marker of a partition that is gone", "topic", tp.Topic, "partition", tp.Partition, "producer_id", pid)
			return true
		}
		c.log.Warn("writing a transaction marker", "topic", tp.Topic, "partition", tp.Partition, "producer_id", pid, "err", err)
		select {
		case <-c.stop:
			return false
		case <-time.After(c.opts.MarkerRetryBackoff):
		}
	}
}

// abortTimedOut aborts every Ongoing transaction open longer than its
// timeout (Kafka's abortTimedOutTransactions): the epoch is bumped, so
// the producer is fenced, and the transaction aborted with it.
func (c *Coordinator) abortTimedOut() {
	now := c.nowMs()
	for _, m := range c.txns {
		if m.state != Ongoing || m.pending != nil || m.startMs+int64(m.timeoutMs) >= now {
			continue
		}
		t := m.fenceEpoch()
		m.pending = t
		c.log.Info("aborting a transaction that timed out", "transactional_id", m.id, "producer_id", m.producerID, "timeout_ms", m.timeoutMs)
		c.endTxn(m, t.producerID, t.producerEpoch, false, false, m.tv2, func(_ InitResult, err error) {
			if err == nil {
				c.timeoutAborts.Add(1)
			}
		})
	}
}

// expireIDs removes the transactional IDs idle longer than
// transactional.id.expiration.ms (Kafka's removeExpiredTransactionalIds):
// a tombstone is written, then the ID is forgotten.
func (c *Coordinator) expireIDs() {
	now := c.nowMs()
	for _, m := range c.txns {
		if m.pending != nil || (m.state != Empty && m.state != CompleteCommit && m.state != CompleteAbort) ||
			m.updateMs+c.opts.IDExpiration.Milliseconds() > now {
			continue
		}
		t := m.transit(Dead)
		t.partitions = nil
		m.pending = t
		c.store(m, t, func(err error) {
			if err != nil {
				m.pending = nil
				return
			}
			if c.txns[m.id] == m {
				delete(c.txns, m.id)
			}
			m.complete(t)
		})
	}
}
