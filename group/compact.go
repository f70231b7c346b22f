package group

import (
	"encoding/binary"
	"slices"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Compaction of __consumer_offsets. Kafka's log cleaner keeps the last
// record of every key; Strata gets the same log, as a replay sees it, by
// rewriting instead: when the bytes appended to a partition since its last
// rewrite reach both Options.CompactBytes and the size of that rewrite
// (Kafka's min.cleanable.dirty.ratio of 0.5), the loop appends the live
// state of the partition's groups (each group's last stored metadata
// record and its committed offsets, with their commit times) and then
// moves the partition's log start offset to the first of those records
// (partition.Log.DeleteRecords); retention deletes the segments wholly
// below it once they roll. A replay then reads only the rewrite and what
// came after it, and the partition stops growing with every commit.
//
// A rewrite starts only when no append of the partition is in flight: the
// loop changes memory when an append returns, so then memory is exactly
// what the log holds, and every later change is appended after the
// rewrite. If any part of the rewrite fails, the log start offset stays:
// the log holds its whole history and a partial copy of values it already
// had, which a replay applies harmlessly.

// partState is the loop's view of one __consumer_offsets partition.
type partState struct {
	inflight   int   // appends queued and not yet returned
	dirty      int64 // bytes appended since the last rewrite (or in the log at open)
	last       int64 // bytes of the last rewrite
	compacting bool
}

// isGroupKey reports whether a record key is a GroupMetadataKey.
func isGroupKey(key []byte) bool { return len(key) >= 2 && binary.BigEndian.Uint16(key) == 2 }

// maybeCompact rewrites partition p if it is due. Loop only.
func (c *Coordinator) maybeCompact(p int32) {
	ps := &c.parts[p]
	if ps.inflight > 0 || ps.compacting || ps.dirty < max(c.opts.CompactBytes, ps.last) || c.openTxns(p) {
		return
	}
	w := c.writers[p]
	var ids []string
	for id := range c.groups {
		if PartitionFor(id, len(c.writers)) == p {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var recs []kv
	for _, id := range ids {
		g := c.groups[id]
		if g.stored != nil {
			recs = append(recs, kv{groupKey(id), g.stored})
		}
		for _, tp := range g.sortedOffsets() {
			recs = append(recs, kv{offsetKey(id, tp.topic, tp.partition), offsetValue(g.offsets[tp])})
		}
	}
	// What was appended so far is what the rewrite replaces; appends from
	// now on come after it and count toward the next one.
	ps.compacting = true
	dirty := ps.dirty
	ps.dirty = 0
	abort := func() { ps.compacting, ps.dirty = false, ps.dirty+dirty }
	if len(recs) == 0 { // nothing live: everything before the end goes
		c.cutBefore(p, w.log.HighWatermark(), 0, dirty)
		return
	}
	// Batches of at most half of max.message.bytes.
	limit := max(w.log.Config().MaxMessageBytes/2, 1)
	var batches [][]byte
	now := c.nowMs()
	b := c.builder // the loop's, as store uses it
	b.Reset()
	size := 0
	flush := func() bool {
		batch, err := b.AppendTo(nil)
		if err != nil {
			c.log.Warn("compacting __consumer_offsets", "partition", p, "err", err)
			return false
		}
		batches = append(batches, batch)
		b.Reset()
		size = 0
		return true
	}
	for _, r := range recs {
		if size > 0 && size+len(r.key)+len(r.value)+32 > limit {
			if !flush() {
				abort()
				return
			}
		}
		b.Add(&recordbatch.Record{Timestamp: now, Key: r.key, Value: r.value})
		size += len(r.key) + len(r.value) + 32
	}
	if !flush() {
		abort()
		return
	}
	var total int64
	for _, batch := range batches {
		total += int64(len(batch))
	}
	first, failed, left := int64(-1), false, len(batches)
	for i, batch := range batches {
		ps.inflight++
		w.enqueue(write{batch: batch, done: func(res partition.AppendResult, err error) {
			ps.inflight--
			left--
			switch {
			case err != nil:
				failed = true
				c.log.Warn("compacting __consumer_offsets", "partition", p, "err", err)
			case i == 0:
				first = res.BaseOffset
			}
			if left > 0 {
				return
			}
			if failed {
				abort()
				return
			}
			c.cutBefore(p, first, total, dirty)
		}})
	}
}

// cutBefore moves partition p's log start offset to off, after a rewrite
// of size bytes that replaced dirty bytes, on a goroutine of its own
// (DeleteRecords writes and syncs the checkpoint); the loop hears back.
// Loop only.
func (c *Coordinator) cutBefore(p int32, off, size, dirty int64) {
	l := c.writers[p].log
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_, err := l.DeleteRecords(off)
		c.post(func() {
			ps := &c.parts[p]
			ps.compacting = false
			if err != nil {
				ps.dirty += dirty // still in the log
				c.log.Warn("compacting __consumer_offsets", "partition", p, "err", err)
				return
			}
			ps.last = size
			c.log.Info("compacted __consumer_offsets", "partition", p, "logStart", off, "bytes", size)
			c.maybeCompact(p) // appends during the rewrite may have made the next one due
		})
	}()
}
