package console

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/cli"
)

type searchStats struct {
	Records  int64
	Bytes    int64
	Matches  int
	Bound    string // the bound it stopped at ("": it reached the end)
	Continue template.URL
}

type messagesData struct {
	Topic      string
	Partitions []int32
	Partition  string // "all" or a number
	Mode       string // newest, offset, timestamp
	Offset     string
	N          int
	TS         string
	Format     string
	Formats    []string
	Q          string
	In         string
	Rows       []msgRow
	Notes      []string
	Empty      string
	Search     *searchStats
	TailPos    string // where a live tail starts: "p:offset,..."
	Internal   bool
}

type window struct {
	p         int32
	from, end int64
	logStart  int64
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("topic")
	t, err := s.topicMeta(ctx, name)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &messagesData{Topic: name, Partition: cmp.Or(q.Get("partition"), "all"), Mode: cmp.Or(q.Get("mode"), "newest"),
		Offset: q.Get("offset"), TS: q.Get("ts"), Format: cmp.Or(q.Get("format"), "auto"), Formats: formats,
		Q: q.Get("q"), In: cmp.Or(q.Get("in"), "any"), N: 50, Internal: t.IsInternal}
	for _, p := range t.Partitions.Sorted() {
		d.Partitions = append(d.Partitions, p.Partition)
	}
	if v := q.Get("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("n must be a positive number, not %q", v)
		}
		d.N = min(n, s.o.Limits.MaxRecords)
	}
	if !slices.Contains(formats, d.Format) {
		return badRequest("unknown format %q (one of %s)", d.Format, strings.Join(formats, ", "))
	}
	parts := d.Partitions
	if d.Partition != "all" {
		p, err := strconv.ParseInt(d.Partition, 10, 32)
		if err != nil {
			return badRequest("partition must be a number or all, not %q", d.Partition)
		}
		if !slices.Contains(d.Partitions, int32(p)) {
			return notFound("no partition %d in topic %q", p, name)
		}
		parts = []int32{int32(p)}
	}
	wins, err := s.windows(ctx, name, parts, d)
	if err != nil {
		return err
	}
	var tail []string
	for _, w := range wins {
		tail = append(tail, fmt.Sprintf("%d:%d", w.p, w.end))
	}
	d.TailPos = strings.Join(tail, ",")
	rd := s.newReader(t)
	if d.Q != "" {
		err = s.search(ctx, rd, wins, d)
	} else {
		err = s.browse(ctx, rd, wins, d)
	}
	if err != nil {
		return err
	}
	if len(d.Rows) == 0 && d.Empty == "" {
		d.Empty = "No records in this range."
	}
	return s.render(w, r, http.StatusOK, "messages.html", name+": messages", "topics", d)
}

// windows computes where each partition is read from, adding notes for
// offsets outside the log.
func (s *Server) windows(ctx context.Context, topic string, parts []int32, d *messagesData) ([]window, error) {
	starts, err := s.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	ends, err := s.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	var after kadm.ListedOffsets
	var offset int64
	switch d.Mode {
	case "newest":
	case "offset":
		if offset, err = strconv.ParseInt(d.Offset, 10, 64); err != nil || offset < 0 {
			return nil, badRequest("offset must be a number of at least 0, not %q", d.Offset)
		}
	case "timestamp":
		ms, err := parseTime(d.TS)
		if err != nil {
			return nil, badRequest("timestamp %q: %v", d.TS, err)
		}
		if after, err = s.adm.ListOffsetsAfterMilli(ctx, ms, topic); err != nil {
			return nil, err
		}
	default:
		return nil, badRequest("mode must be newest, offset or timestamp, not %q", d.Mode)
	}
	var out []window
	var pastEnd []string
	for _, p := range parts {
		st, _ := starts.Lookup(topic, p)
		en, _ := ends.Lookup(topic, p)
		if st.Err != nil || en.Err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("partition %d: %s", p, errText(cmp.Or(st.Err, en.Err))))
			continue
		}
		w := window{p: p, end: en.Offset, logStart: st.Offset}
		switch d.Mode {
		case "newest":
			w.from = max(st.Offset, en.Offset-int64(d.N))
			if d.Q != "" {
				w.from = st.Offset
			}
		case "offset":
			w.from = offset
			if offset < st.Offset {
				d.Notes = append(d.Notes, fmt.Sprintf("partition %d: offset %d is before the log start offset %d; reading from %d", p, offset, st.Offset, st.Offset))
				w.from = st.Offset
			}
			if offset >= en.Offset {
				pastEnd = append(pastEnd, fmt.Sprintf("partition %d ends at %d", p, en.Offset))
				w.from = en.Offset
			}
		case "timestamp":
			a, _ := after.Lookup(topic, p)
			w.from = en.Offset
			if a.Err == nil && a.Offset >= 0 {
				w.from = max(a.Offset, st.Offset)
			}
		}
		out = append(out, w)
	}
	if len(pastEnd) > 0 && len(pastEnd) == len(parts) {
		d.Empty = fmt.Sprintf("Offset %d is at or past the end: %s. No records to show.", offset, strings.Join(pastEnd, ", "))
	}
	return out, nil
}

// parseTime reads milliseconds since the epoch or a date and time (UTC
// unless it names a zone) as Kafka's tools take them.
func parseTime(v string) (int64, error) {
	if v == "" {
		return 0, fmt.Errorf("empty")
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04:05.000", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return cli.ParseDatetime(v)
}

// browse reads up to N records of each window and keeps N overall: the
// newest N in newest mode, else the first N by timestamp.
func (s *Server) browse(ctx context.Context, rd *reader, wins []window, d *messagesData) error {
	var recs []*kgo.Record
	budget := s.o.Limits.PageBytes
	for _, w := range wins {
		if w.from >= w.end || budget <= 0 {
			continue
		}
		var got []*kgo.Record
		_, n, _, err := rd.readRange(ctx, w.p, w.from, w.end, budget, func(r *kgo.Record) bool {
			got = append(got, r)
			return d.Mode == "newest" || len(got) < d.N
		})
		budget -= n
		if err != nil {
			return err
		}
		if budget <= 0 {
			d.Notes = append(d.Notes, fmt.Sprintf("stopped at the page's byte bound (%s)", humanBytes(s.o.Limits.PageBytes)))
		}
		recs = append(recs, got...)
	}
	if len(wins) > 1 {
		slices.SortStableFunc(recs, func(a, b *kgo.Record) int {
			return cmp.Or(a.Timestamp.Compare(b.Timestamp), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
		})
	}
	if len(recs) > d.N {
		if d.Mode == "newest" {
			recs = recs[len(recs)-d.N:]
		} else {
			recs = recs[:d.N]
		}
	}
	for _, r := range recs {
		d.Rows = append(d.Rows, rowOf(r, d.Format))
	}
	return nil
}

// search scans forward from each window's start for records whose key,
// value (or either, or a header value) contains Q, until N matches or a
// bound: Limits.ScanRecords, ScanBytes, ScanDuration over all partitions.
func (s *Server) search(ctx context.Context, rd *reader, wins []window, d *messagesData) error {
	st := &searchStats{}
	d.Search = st
	lim := s.o.Limits
	deadline := time.Now().Add(lim.ScanDuration)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(time.Second))
	defer cancel()
	needle := []byte(d.Q)
	var nexts []string
	for i, w := range wins {
		if st.Bound != "" || st.Matches >= d.N {
			nexts = append(nexts, strconv.Itoa(int(w.p))+":"+strconv.FormatInt(w.from, 10))
			continue
		}
		read, n, next, err := rd.readRange(ctx, w.p, w.from, w.end, lim.ScanBytes-st.Bytes, func(r *kgo.Record) bool {
			st.Records++
			if matches(r, needle, d.In) {
				st.Matches++
				d.Rows = append(d.Rows, rowOf(r, d.Format))
			}
			switch {
			case st.Matches >= d.N:
				st.Bound = fmt.Sprintf("found %d matches (the page size)", d.N)
			case st.Records >= lim.ScanRecords:
				st.Bound = fmt.Sprintf("the scan bound of %s records", groupDigits(lim.ScanRecords))
			case time.Now().After(deadline):
				st.Bound = fmt.Sprintf("the scan bound of %s", lim.ScanDuration)
			}
			return st.Bound == ""
		})
		_ = read
		st.Bytes += n
		if err != nil && ctx.Err() == nil {
			return err
		}
		if st.Bound == "" && st.Bytes >= lim.ScanBytes {
			st.Bound = fmt.Sprintf("the scan bound of %s", humanBytes(lim.ScanBytes))
		}
		if next < w.end {
			nexts = append(nexts, strconv.Itoa(int(w.p))+":"+strconv.FormatInt(next, 10))
		}
		if st.Bound != "" && i == len(wins)-1 {
			break
		}
	}
	if st.Bound != "" && len(wins) == 1 && len(nexts) == 1 {
		_, off, _ := strings.Cut(nexts[0], ":")
		st.Continue = queryString("partition", d.Partition, "mode", "offset", "offset", off, "n", strconv.Itoa(d.N),
			"format", d.Format, "q", d.Q, "in", d.In)
	}
	if len(d.Rows) == 0 {
		d.Empty = "No record matched."
	}
	return nil
}

func matches(r *kgo.Record, needle []byte, in string) bool {
	switch in {
	case "key":
		return bytes.Contains(r.Key, needle)
	case "value":
		return bytes.Contains(r.Value, needle)
	}
	if bytes.Contains(r.Key, needle) || bytes.Contains(r.Value, needle) {
		return true
	}
	for _, h := range r.Headers {
		if bytes.Contains(h.Value, needle) {
			return true
		}
	}
	return false
}

// tailData is one poll of the live tail: new rows and the next position.
type tailData struct {
	Topic  string
	Format string
	Rows   []msgRow
	Pos    string
}

// maxTailRows bounds the rows one poll returns.
const maxTailRows = 200

// tail answers the live tail's poll (htmx, every second): one bounded
// Fetch per partition from pos, no waiting.
func (s *Server) tail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("topic")
	t, err := s.topicMeta(ctx, name)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &tailData{Topic: name, Format: cmp.Or(q.Get("format"), "auto")}
	rd := s.newReader(t)
	var pos []string
	var recs []*kgo.Record
	for _, pv := range strings.Split(q.Get("pos"), ",") {
		ps, os, ok := strings.Cut(pv, ":")
		p, err1 := strconv.ParseInt(ps, 10, 32)
		off, err2 := strconv.ParseInt(os, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return badRequest("pos must be partition:offset,..., not %q", q.Get("pos"))
		}
		if len(recs) < maxTailRows {
			f, err := rd.fetchOnce(ctx, int32(p), off, min(s.o.Limits.FetchBytes, 256<<10))
			if err != nil {
				return err
			}
			if len(f.records) > maxTailRows-len(recs) {
				f.records = f.records[:maxTailRows-len(recs)]
				f.next = f.records[len(f.records)-1].Offset + 1
			}
			recs = append(recs, f.records...)
			if f.next > off {
				off = f.next
			} else if f.start > off {
				off = f.start
			}
		}
		pos = append(pos, fmt.Sprintf("%d:%d", p, off))
	}
	slices.SortStableFunc(recs, func(a, b *kgo.Record) int {
		return cmp.Or(a.Timestamp.Compare(b.Timestamp), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	for _, r := range recs {
		d.Rows = append(d.Rows, rowOf(r, d.Format))
	}
	d.Pos = strings.Join(pos, ",")
	return s.fragment(w, "messages.html", "tail", d)
}
