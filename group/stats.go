package group

import (
	"cmp"
	"slices"
	"strings"
)

// Stats is a copy of the coordinator's state for the metrics: every group
// with its state, members and committed offsets, and the count of offsets
// committed since the coordinator started.
type Stats struct {
	Groups        []GroupStats // by group ID
	OffsetCommits int64        // offsets committed (one per partition of each successful OffsetCommit)
}

// GroupStats is one group as Stats sees it.
type GroupStats struct {
	ID           string
	State        string // Kafka's name: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
	ProtocolType string
	Members      int
	Offsets      []CommittedOffset // by topic, then partition
}

// CommittedOffset is one committed offset of a group.
type CommittedOffset struct {
	Topic     string
	Partition int32
	Offset    int64
}

// StateNames are the group states Stats reports, in Kafka's order.
func StateNames() []string { return slices.Clone(stateNames[:]) }

// Stats copies the coordinator's state on its run loop (one work item, the
// length of a copy of every group's offsets). ok is false when the
// coordinator has stopped.
func (c *Coordinator) Stats() (st Stats, ok bool) {
	ok = c.call(func(done func()) {
		st.Groups = make([]GroupStats, 0, len(c.groups))
		for _, g := range c.groups {
			gs := GroupStats{ID: g.id, State: g.state.String(), ProtocolType: g.protocolType, Members: len(g.members)}
			gs.Offsets = make([]CommittedOffset, 0, len(g.offsets))
			for tp, o := range g.offsets {
				gs.Offsets = append(gs.Offsets, CommittedOffset{Topic: tp.topic, Partition: tp.partition, Offset: o.offset})
			}
			st.Groups = append(st.Groups, gs)
		}
		done()
	})
	st.OffsetCommits = c.offsetCommits.Load()
	// Sorting runs here, off the run loop.
	slices.SortFunc(st.Groups, func(a, b GroupStats) int { return strings.Compare(a.ID, b.ID) })
	for i := range st.Groups {
		slices.SortFunc(st.Groups[i].Offsets, func(a, b CommittedOffset) int {
			if c := strings.Compare(a.Topic, b.Topic); c != 0 {
				return c
			}
			return cmp.Compare(a.Partition, b.Partition)
		})
	}
	return st, ok
}
