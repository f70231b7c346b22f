package console

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// BrokerState is what the broker serving an embedded console knows that
// the Kafka protocol does not carry. cmd/strata gives the embedded
// console one that reads the broker's own state; `strata console` against
// any cluster has none (Options.Broker nil), and the pages say what only
// the embedded console shows.
type BrokerState interface {
	// CleanerState is the log cleaner's state of topic's partitions it
	// runs over on this broker, by partition (empty: none, e.g.
	// log.cleaner.enable=false).
	CleanerState(topic string) map[int32]CleanerPartition
}

// CleanerPartition is one compacted partition's cleaner state.
type CleanerPartition struct {
	DirtyRatio float64   // at the cleaner's last look: bytes not yet cleaned over all but the active segment's
	FirstDirty int64     // where the next pass starts (-1: no checkpoint yet)
	LastPass   time.Time // when its last pass ended (zero: none since the broker started)
	BytesSaved int64     // bytes its passes took off the log since the broker started
	// Uncleanable: the cleaner gave up on it (a corrupt batch or a
	// storage error); UncleanableBytes are what it would clean now.
	Uncleanable      bool
	UncleanableBytes int64
	Cleaning         bool // a pass runs now
}

// cleanerView is the topic page's log cleaner section.
type cleanerView struct {
	Compacted bool // cleanup.policy holds compact
	Embedded  bool // Options.Broker is set: the state is known
	Rows      []cleanerRow
}

type cleanerRow struct {
	Partition  int32
	Dirty      string // "50.0 %"
	FirstDirty int64
	LastPass   string // "2006-01-02 15:04:05.000 UTC", "never"
	Saved      int64
	State      string // "cleaning", "uncleanable (N B to clean)", "ok"
}

// compactedPolicy reports whether a cleanup.policy value holds compact.
func compactedPolicy(v string) bool {
	for _, p := range strings.Split(v, ",") {
		if strings.TrimSpace(p) == "compact" {
			return true
		}
	}
	return false
}

// cleaner builds the section for topic from its configs' cleanup.policy.
func (s *Server) cleaner(topic string, configs []configRow) cleanerView {
	var v cleanerView
	for _, c := range configs {
		if c.Name == "cleanup.policy" {
			v.Compacted = compactedPolicy(c.Value)
		}
	}
	if !v.Compacted || s.o.Broker == nil {
		return v
	}
	v.Embedded = true
	for p, c := range s.o.Broker.CleanerState(topic) {
		row := cleanerRow{Partition: p, Dirty: strconv.FormatFloat(c.DirtyRatio*100, 'f', 1, 64) + " %",
			FirstDirty: c.FirstDirty, LastPass: "never", Saved: c.BytesSaved, State: "ok"}
		if !c.LastPass.IsZero() {
			row.LastPass = c.LastPass.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		}
		switch {
		case c.Uncleanable:
			row.State = "uncleanable (" + humanBytes(c.UncleanableBytes) + " to clean)"
		case c.Cleaning:
			row.State = "cleaning"
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Rows, func(a, b cleanerRow) int { return int(a.Partition) - int(b.Partition) })
	return v
}
