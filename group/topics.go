package group

import (
	"errors"
	"slices"
)

// Deleted topics. Kafka removes a deleted topic's committed offsets from
// every group (GroupCoordinator.onPartitionsDeleted and
// GroupMetadataManager.cleanupGroupMetadata): tombstones for them go to
// __consumer_offsets, so a topic created later with the same name starts
// with no committed offsets, and an empty group left without offsets is
// removed (Dead). Commits in flight for the topic are tombstoned too: the
// writer appends them before the tombstones.

// ErrStopped: the coordinator stopped before the work was done.
var ErrStopped = errors.New("group: coordinator stopped")

// DeleteTopicOffsets removes every group's committed offsets of the named
// topics, which were deleted, and then removes the empty groups that have
// no offsets left. It returns once the tombstones are appended to
// __consumer_offsets (and synced if its flush policy asks for it), with
// the first append's error if one failed; OffsetFetch answers -1 for
// those partitions from then on, also after a replay.
func (c *Coordinator) DeleteTopicOffsets(topics []string) error {
	set := make(map[string]bool, len(topics))
	for _, t := range topics {
		set[t] = true
	}
	var err error
	if !c.call(func(done func()) {
		c.deleteTopicOffsets(set, func(e error) { err = e; done() })
	}) {
		return ErrStopped
	}
	return err
}

func (c *Coordinator) deleteTopicOffsets(topics map[string]bool, done func(error)) {
	var first error
	waiting := 1
	finish := func(err error) {
		if first == nil {
			first = err
		}
		if waiting--; waiting == 0 {
			done(first)
		}
	}
	for _, id := range c.sortedIDs() {
		g := c.groups[id]
		var tps []topicPartition
		left := 0
		for tp := range g.offsets {
			if topics[tp.topic] {
				tps = append(tps, tp)
			} else {
				left++
			}
		}
		for tp := range g.commits {
			switch {
			case !topics[tp.topic]:
				left++
			case g.offsets[tp] == nil:
				tps = append(tps, tp)
			}
		}
		for _, m := range g.txnOffsets { // Kafka deletes pending transactional offsets too
			for tp := range m {
				switch {
				case !topics[tp.topic]:
					left++
				case g.offsets[tp] == nil && g.commits[tp] == 0 && !slices.Contains(tps, tp):
					tps = append(tps, tp)
				}
			}
		}
		for _, tp := range tps {
			c.dropTxnOffsets(g, tp)
		}
		dead := g.state == stateEmpty && left == 0
		if len(tps) == 0 && !dead {
			continue
		}
		slices.SortFunc(tps, compareTP)
		var recs []kv
		for _, tp := range tps {
			recs = append(recs, kv{offsetKey(id, tp.topic, tp.partition), nil})
		}
		if dead {
			recs = append(recs, c.remove(g))
			c.log.Info("group removed: no offsets left after topic deletion", "group", id, "offsets", len(tps))
		}
		limit := max(c.writers[PartitionFor(id, len(c.writers))].log.Config().MaxMessageBytes/2, 1)
		for len(recs) > 0 {
			n, size := 0, 0
			for n < len(recs) && (n == 0 || size+len(recs[n].key)+32 <= limit) {
				size += len(recs[n].key) + 32
				n++
			}
			chunk := tps[:min(n, len(tps))]
			tps = tps[len(chunk):]
			waiting++
			c.store(id, recs[:n], func(err error) {
				if err == nil {
					if g := c.groups[id]; g != nil {
						for _, tp := range chunk {
							delete(g.offsets, tp)
						}
						c.maybeDropEmpty(g)
					}
				} else {
					c.log.Warn("removing a deleted topic's offsets", "group", id, "err", err)
				}
				finish(err)
			})
			recs = recs[n:]
		}
	}
	finish(nil)
}

// remove marks g Dead and forgets it (Kafka's transition to Dead); it
// returns the tombstone of its metadata.
func (c *Coordinator) remove(g *group) kv {
	g.stopTimers()
	g.state = stateDead
	delete(c.groups, g.id)
	return kv{groupKey(g.id), nil}
}
