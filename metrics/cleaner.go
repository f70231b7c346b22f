package metrics

import (
	"strconv"
	"strings"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/server"
)

// The log cleaner's families (strata_cleaner_*), from one
// compact.ManagerStats snapshot per scrape (server.Server.CleanerStats,
// through the topic registry that owns the cleaner). They are Kafka's
// kafka.log:type=LogCleaner and type=LogCleanerManager gauges in
// Prometheus' base units: a Kafka percent is a ratio here (0-1, not
// truncated to an integer as Kafka's gauges are), Kafka's milliseconds
// and whole seconds are seconds. Kafka has no byte or pass counters; the
// totals are Strata's (since the broker started, across cleaner restarts).
var (
	famCleanerBytesRead    = family{"strata_cleaner_bytes_read_total", "Bytes the log cleaner read, building offset maps and copying segments, since the broker started.", "counter"}
	famCleanerBytesWritten = family{"strata_cleaner_bytes_written_total", "Bytes the log cleaner wrote into cleaned segments since the broker started.", "counter"}
	famCleanerPasses       = family{"strata_cleaner_passes_total", "Cleaning passes completed (one partition each) since the broker started.", "counter"}
	famCleanerRecopy       = family{"strata_cleaner_recopy_ratio", "Bytes written over bytes read by the cleaner threads' last passes, summed over threads (Kafka's LogCleaner cleaner-recopy-percent / 100).", "gauge"}
	famCleanerBuffer       = family{"strata_cleaner_max_buffer_utilization_ratio", "Largest fill, 0-1, of a cleaner thread's offset map (log.cleaner.dedupe.buffer.size) in its last pass (Kafka's LogCleaner max-buffer-utilization-percent / 100).", "gauge"}
	famCleanerCleanTime    = family{"strata_cleaner_max_clean_time_seconds", "Longest of the cleaner threads' last passes, in seconds (Kafka's LogCleaner max-clean-time-secs).", "gauge"}
	famCleanerDelay        = family{"strata_cleaner_max_compaction_delay_seconds", "When a cleaner thread last took a log: the longest a log had been due by max.compaction.lag.ms, in seconds; the largest over threads (Kafka's LogCleaner max-compaction-delay-secs).", "gauge"}
	famCleanerMaxDirty     = family{"strata_cleaner_max_dirty_ratio", "Dirty ratio, 0-1, of the dirtiest compacted log at the cleaner's last look (Kafka's LogCleanerManager max-dirty-percent / 100).", "gauge"}
	famCleanerSinceLast    = family{"strata_cleaner_seconds_since_last_run", "Seconds since a cleaning pass last ended on a partition of the log dir, or since the cleaner started when none has (Kafka's LogCleanerManager time-since-last-run-ms / 1000, per log dir).", "gauge"}
	famCleanerUncleanable  = family{"strata_cleaner_uncleanable_partitions", "Partitions of the log dir the cleaner gave up on after a corrupt batch or a storage error; their logs are served as they are (Kafka's LogCleanerManager uncleanable-partitions-count).", "gauge"}
	famCleanerUncleanBytes = family{"strata_cleaner_uncleanable_bytes", "Bytes the uncleanable partitions of the log dir would have cleaned now (Kafka's LogCleanerManager uncleanable-bytes).", "gauge"}
	famCleanerDirty        = family{"strata_cleaner_dirty_ratio", "A compacted partition's dirty ratio, 0-1, at the cleaner's last look: bytes not yet cleaned over those of its segments but the active one (what min.cleanable.dirty.ratio bounds).", "gauge"}
)

var cleanerFamilies = []family{
	famCleanerBytesRead, famCleanerBytesWritten, famCleanerPasses, famCleanerRecopy, famCleanerBuffer,
	famCleanerCleanTime, famCleanerDelay, famCleanerMaxDirty, famCleanerSinceLast, famCleanerUncleanable,
	famCleanerUncleanBytes, famCleanerDirty,
}

// cleanerGauges are Kafka's LogCleaner gauges over the threads' last
// passes: recopy (written over read, summed over threads), the largest
// buffer use, pass and compaction delay.
func cleanerGauges(th []compact.ThreadStats) (recopy, buffer, cleanSecs, delaySecs float64) {
	var read, written int64
	for _, t := range th {
		read += t.BytesRead
		written += t.BytesWritten
		buffer = max(buffer, t.BufferUse)
		cleanSecs = max(cleanSecs, t.Duration.Seconds())
		delaySecs = max(delaySecs, t.CompactionDelay.Seconds())
	}
	recopy = float64(written) / float64(max(read, 1))
	return recopy, buffer, cleanSecs, delaySecs
}

// writeCleaner appends the cleaner's families that want asks for.
func writeCleaner(w *textWriter, srv *server.Server) {
	wanted := false
	for _, f := range cleanerFamilies {
		if w.want == nil || w.want(f.name) {
			wanted = true
			break
		}
	}
	if !wanted {
		return
	}
	st := srv.CleanerStats()
	if w.start(famCleanerBytesRead) {
		w.sample(famCleanerBytesRead.name, "", st.BytesRead)
	}
	if w.start(famCleanerBytesWritten) {
		w.sample(famCleanerBytesWritten.name, "", st.BytesWritten)
	}
	if w.start(famCleanerPasses) {
		w.sample(famCleanerPasses.name, "", st.Passes)
	}
	recopy, buffer, cleanSecs, delaySecs := cleanerGauges(st.Threads)
	for _, g := range []struct {
		f family
		v float64
	}{{famCleanerRecopy, recopy}, {famCleanerBuffer, buffer}, {famCleanerCleanTime, cleanSecs}, {famCleanerDelay, delaySecs}, {famCleanerMaxDirty, st.MaxDirtyRatio}} {
		if w.start(g.f) {
			w.sampleF(g.f.name, "", g.v)
		}
	}

	// Per log dir: every configured one, and any the cleaner names
	// besides (the same paths, cleaned).
	var dirs []string
	seen := map[string]bool{}
	for _, d := range srv.LogDirs() {
		if !seen[d.Dir] {
			seen[d.Dir] = true
			dirs = append(dirs, d.Dir)
		}
	}
	last := map[string]compact.DirStats{}
	for _, d := range st.Dirs {
		last[d.Dir] = d
		if !seen[d.Dir] {
			seen[d.Dir] = true
			dirs = append(dirs, d.Dir)
		}
	}
	if !st.Started.IsZero() && w.start(famCleanerSinceLast) {
		for _, d := range dirs {
			from := st.Started
			if lp := last[d].LastPass; !lp.IsZero() {
				from = lp
			}
			w.sampleF(famCleanerSinceLast.name, dirLabel(d), max(st.At.Sub(from).Seconds(), 0))
		}
	}
	count, bytes := map[string]int64{}, map[string]int64{}
	for _, p := range st.Partitions {
		if p.Uncleanable {
			count[p.Dir]++
			bytes[p.Dir] += p.UncleanableBytes
		}
	}
	if w.start(famCleanerUncleanable) {
		for _, d := range dirs {
			w.sample(famCleanerUncleanable.name, dirLabel(d), count[d])
		}
	}
	if w.start(famCleanerUncleanBytes) {
		for _, d := range dirs {
			w.sample(famCleanerUncleanBytes.name, dirLabel(d), bytes[d])
		}
	}
	if w.start(famCleanerDirty) {
		for _, p := range st.Partitions {
			i := strings.LastIndexByte(p.Name, '-')
			if i < 0 {
				continue
			}
			w.b = append(w.b, famCleanerDirty.name...)
			w.b = append(w.b, `{partition="`...)
			w.b = append(w.b, p.Name[i+1:]...)
			w.b = append(w.b, `",`...)
			w.b = appendLabel(w.b, "topic", p.Name[:i])
			w.b = append(w.b, "} "...)
			w.b = strconv.AppendFloat(w.b, p.DirtyRatio, 'g', -1, 64)
			w.b = append(w.b, '\n')
		}
	}
}

func dirLabel(dir string) string { return string(appendLabel([]byte{'{'}, "dir", dir)) + "}" }

// sampleF is sample with a float value.
func (w *textWriter) sampleF(name, labels string, v float64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, labels...)
	w.b = append(w.b, ' ')
	w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
	w.b = append(w.b, '\n')
}
