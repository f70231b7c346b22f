package console

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/tools/cli"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

func errText(err error) string { return cli.ErrText(err) }

// topicRow is one line of the topics page.
type topicRow struct {
	Name        string
	Internal    bool
	Partitions  int
	Replication int
	Size        int64 // -1: unknown
	Records     int64
	Retention   string // retention.ms
	Cleanup     string // cleanup.policy
}

type topicsData struct {
	Filter       string
	Internal     bool
	Sort         string
	Desc         bool
	Rows         []topicRow
	Hidden       int // internal topics not shown
	Total        int
	SizeKnown    bool
	SizeErr      string
	ShowInternal template.URL
}

var topicSorts = map[string]func(a, b topicRow) int{
	"name":        func(a, b topicRow) int { return strings.Compare(a.Name, b.Name) },
	"partitions":  func(a, b topicRow) int { return cmp.Compare(a.Partitions, b.Partitions) },
	"replication": func(a, b topicRow) int { return cmp.Compare(a.Replication, b.Replication) },
	"size":        func(a, b topicRow) int { return cmp.Compare(a.Size, b.Size) },
	"records":     func(a, b topicRow) int { return cmp.Compare(a.Records, b.Records) },
	"retention": func(a, b topicRow) int {
		x, _ := strconv.ParseInt(a.Retention, 10, 64)
		y, _ := strconv.ParseInt(b.Retention, 10, 64)
		if x < 0 {
			x = 1<<63 - 1
		}
		if y < 0 {
			y = 1<<63 - 1
		}
		return cmp.Compare(x, y)
	},
	"cleanup": func(a, b topicRow) int { return strings.Compare(a.Cleanup, b.Cleanup) },
}

// sortLink is a column header's query: sorting by col, flipping the
// direction when it is the current column.
func sortLink(d *topicsData, col string) template.URL {
	desc := ""
	if d.Sort == col && !d.Desc {
		desc = "1"
	}
	internal := ""
	if d.Internal {
		internal = "1"
	}
	return queryString("q", d.Filter, "internal", internal, "sort", col, "desc", desc)
}

// sortArrow marks the column the rows are sorted by.
func sortArrow(d *topicsData, col string) string {
	switch {
	case d.Sort != col:
		return ""
	case d.Desc:
		return " ▼"
	}
	return " ▲"
}

func (s *Server) topics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := &topicsData{Filter: q.Get("q"), Internal: q.Get("internal") == "1", Sort: q.Get("sort"), Desc: q.Get("desc") == "1"}
	if topicSorts[d.Sort] == nil {
		d.Sort = "name"
	}
	rows, err := s.topicRows(r.Context(), d)
	if err != nil {
		return err
	}
	d.Rows = rows
	slices.SortStableFunc(d.Rows, func(a, b topicRow) int {
		c := topicSorts[d.Sort](a, b)
		if c == 0 {
			c = strings.Compare(a.Name, b.Name)
		}
		if d.Desc {
			c = -c
		}
		return c
	})
	flip := "1"
	if d.Internal {
		flip = ""
	}
	d.ShowInternal = queryString("q", d.Filter, "internal", flip, "sort", d.Sort, "desc", map[bool]string{true: "1"}[d.Desc])
	return s.render(w, r, http.StatusOK, "topics.html", "Topics", "topics", d)
}

// internalTopics are asked for by name too: Kafka lists them in a
// metadata request for all topics, but a broker may list them only when
// named (Strata does).
var internalTopics = []string{"__consumer_offsets", "__transaction_state", "__share_group_state"}

// metadata is every topic's metadata, the internal ones included.
func (s *Server) metadata(ctx context.Context) (kadm.Metadata, error) {
	md, err := s.adm.Metadata(ctx)
	if err != nil {
		return md, err
	}
	var missing []string
	for _, n := range internalTopics {
		if _, ok := md.Topics[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		if more, err := s.adm.Metadata(ctx, missing...); err == nil {
			for n, t := range more.Topics {
				if t.Err == nil {
					md.Topics[n] = t
				}
			}
		}
	}
	return md, nil
}

// topicRows reads every topic's metadata, offsets, sizes and two configs.
func (s *Server) topicRows(ctx context.Context, d *topicsData) ([]topicRow, error) {
	md, err := s.metadata(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range md.Topics.Sorted() {
		if t.Err != nil {
			continue
		}
		d.Total++
		if t.IsInternal && !d.Internal {
			d.Hidden++
			continue
		}
		if d.Filter != "" && !strings.Contains(strings.ToLower(t.Topic), strings.ToLower(d.Filter)) {
			continue
		}
		names = append(names, t.Topic)
	}
	if len(names) == 0 {
		return nil, nil
	}
	starts, err := s.adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	ends, err := s.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	sizes, serr := s.sizes(ctx, md, names)
	d.SizeKnown = serr == nil
	if serr != nil {
		d.SizeErr = errText(serr)
	}
	cfgs, _ := s.adm.DescribeTopicConfigs(ctx, names...)
	byName := map[string]kadm.ResourceConfig{}
	for _, c := range cfgs {
		byName[c.Name] = c
	}
	rows := make([]topicRow, 0, len(names))
	for _, n := range names {
		t := md.Topics[n]
		row := topicRow{Name: n, Internal: t.IsInternal, Partitions: len(t.Partitions), Size: -1}
		for _, p := range t.Partitions {
			row.Replication = max(row.Replication, len(p.Replicas))
			st, ok1 := starts.Lookup(n, p.Partition)
			en, ok2 := ends.Lookup(n, p.Partition)
			if ok1 && ok2 && st.Err == nil && en.Err == nil {
				row.Records += en.Offset - st.Offset
			}
		}
		if d.SizeKnown {
			row.Size = sizes[n]
		}
		for _, c := range byName[n].Configs {
			switch c.Key {
			case "retention.ms":
				row.Retention = c.MaybeValue()
			case "cleanup.policy":
				row.Cleanup = c.MaybeValue()
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// sizes sums each topic's partition sizes over every broker's log dirs
// (the leader's replica only, so replication does not multiply them).
func (s *Server) sizes(ctx context.Context, md kadm.Metadata, names []string) (map[string]int64, error) {
	set := kadm.TopicsSet{}
	for _, n := range names {
		for p := range md.Topics[n].Partitions {
			set.Add(n, p)
		}
	}
	all, err := s.adm.DescribeAllLogDirs(ctx, set)
	if err != nil {
		return nil, err
	}
	seen := map[string]map[int32]bool{}
	out := map[string]int64{}
	for _, dirs := range all {
		for _, dir := range dirs {
			for _, ps := range dir.Topics {
				for _, p := range ps {
					if seen[p.Topic] == nil {
						seen[p.Topic] = map[int32]bool{}
					}
					if seen[p.Topic][p.Partition] {
						continue
					}
					seen[p.Topic][p.Partition] = true
					out[p.Topic] += p.Size
				}
			}
		}
	}
	return out, nil
}

// partSizes is each partition's size on its leader (-1 when unknown).
func (s *Server) partSizes(ctx context.Context, topic string, leaders map[int32]int32) map[int32]int64 {
	set := kadm.TopicsSet{}
	for p := range leaders {
		set.Add(topic, p)
	}
	all, err := s.adm.DescribeAllLogDirs(ctx, set)
	out := map[int32]int64{}
	if err != nil {
		return out
	}
	for broker, dirs := range all {
		for _, dir := range dirs {
			for _, ps := range dir.Topics {
				for _, p := range ps {
					if l, ok := leaders[p.Partition]; ok && l == broker || len(all) == 1 {
						out[p.Partition] = p.Size
					}
				}
			}
		}
	}
	return out
}

type partRow struct {
	Partition int32
	Leader    int32
	Replicas  string
	ISR       string
	Start     int64
	End       int64
	Records   int64
	Size      int64 // -1: unknown
	Err       string
}

type configRow struct {
	Name      string
	Value     string
	Source    string
	Sensitive bool
}

type consumerRow struct {
	Group string
	State string
	Lag   int64
	Parts int // partitions of the topic it committed
}

type topicData struct {
	Name       string
	ID         string
	Internal   bool
	Parts      []partRow
	Configs    []configRow
	Consumers  []consumerRow
	GroupsErr  string
	Records    int64
	Size       int64
	TotalLag   int64
	ConfigsErr string
	Cleaner    cleanerView
}

// topicMeta returns a topic's metadata, or a 404 error.
func (s *Server) topicMeta(ctx context.Context, name string) (kadm.TopicDetail, error) {
	md, err := s.adm.Metadata(ctx, name)
	if err != nil {
		return kadm.TopicDetail{}, err
	}
	t, ok := md.Topics[name]
	if !ok || errors.Is(t.Err, kerr.UnknownTopicOrPartition) || errors.Is(t.Err, kerr.InvalidTopicException) {
		return kadm.TopicDetail{}, notFound("no topic %q", name)
	}
	if t.Err != nil {
		return kadm.TopicDetail{}, t.Err
	}
	return t, nil
}

func (s *Server) topic(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("topic")
	t, err := s.topicMeta(ctx, name)
	if err != nil {
		return err
	}
	d := &topicData{Name: name, ID: base64.RawURLEncoding.EncodeToString(t.ID[:]), Internal: t.IsInternal}
	starts, err := s.adm.ListStartOffsets(ctx, name)
	if err != nil {
		return err
	}
	ends, err := s.adm.ListEndOffsets(ctx, name)
	if err != nil {
		return err
	}
	leaders := map[int32]int32{}
	for _, p := range t.Partitions {
		leaders[p.Partition] = p.Leader
	}
	sizes := s.partSizes(ctx, name, leaders)
	d.Size = -1
	for _, p := range t.Partitions.Sorted() {
		row := partRow{Partition: p.Partition, Leader: p.Leader, Replicas: cli.JoinInt32(p.Replicas), ISR: cli.JoinInt32(p.ISR), Size: -1}
		st, _ := starts.Lookup(name, p.Partition)
		en, _ := ends.Lookup(name, p.Partition)
		row.Start, row.End = st.Offset, en.Offset
		if st.Err != nil || en.Err != nil {
			row.Err = errText(errors.Join(st.Err, en.Err))
		} else {
			row.Records = row.End - row.Start
			d.Records += row.Records
		}
		if sz, ok := sizes[p.Partition]; ok {
			row.Size = sz
			d.Size = max(d.Size, 0) + sz
		}
		d.Parts = append(d.Parts, row)
	}
	if cfgs, err := s.adm.DescribeTopicConfigs(ctx, name); err == nil && len(cfgs) == 1 && cfgs[0].Err == nil {
		for _, c := range cfgs[0].Configs {
			v := c.MaybeValue()
			if c.Sensitive {
				v = "(sensitive)"
			}
			d.Configs = append(d.Configs, configRow{Name: c.Key, Value: v, Source: configSource(c.Source.String()), Sensitive: c.Sensitive})
		}
		slices.SortFunc(d.Configs, func(a, b configRow) int { return strings.Compare(a.Name, b.Name) })
	} else if err != nil {
		d.ConfigsErr = errText(err)
	} else if len(cfgs) == 1 && cfgs[0].Err != nil {
		d.ConfigsErr = errText(cfgs[0].Err)
	}
	d.Cleaner = s.cleaner(name, d.Configs)
	d.Consumers, d.GroupsErr = s.consumersOf(ctx, name, ends)
	for _, c := range d.Consumers {
		d.TotalLag += c.Lag
	}
	return s.render(w, r, http.StatusOK, "topic.html", name, "topics", d)
}

// configSource names a DescribeConfigs source as the page shows it.
func configSource(src string) string {
	switch src {
	case "DYNAMIC_TOPIC_CONFIG":
		return "dynamic (topic)"
	case "DYNAMIC_BROKER_CONFIG":
		return "dynamic (broker)"
	case "DYNAMIC_DEFAULT_BROKER_CONFIG":
		return "dynamic (cluster default)"
	case "STATIC_BROKER_CONFIG":
		return "static (server.properties)"
	case "DEFAULT_CONFIG":
		return "default"
	}
	return strings.ToLower(src)
}

// maxLagGroups bounds the groups whose offsets a topic page fetches.
const maxLagGroups = 500

// consumersOf lists the groups with committed offsets on topic and their
// lag (end offset minus committed offset, summed over its partitions).
func (s *Server) consumersOf(ctx context.Context, topic string, ends kadm.ListedOffsets) ([]consumerRow, string) {
	listed, err := s.adm.ListGroups(ctx)
	if err != nil {
		return nil, errText(err)
	}
	names := listed.Groups()
	note := ""
	if len(names) > maxLagGroups {
		slices.Sort(names)
		names = names[:maxLagGroups]
		note = "only the first " + strconv.Itoa(maxLagGroups) + " groups were read"
	}
	if len(names) == 0 {
		return nil, note
	}
	fetched := s.adm.FetchManyOffsets(ctx, names...)
	var out []consumerRow
	for _, g := range names {
		resp, ok := fetched[g]
		if !ok || resp.Err != nil {
			continue
		}
		parts, ok := resp.Fetched[topic]
		if !ok {
			continue
		}
		row := consumerRow{Group: g, State: listed[g].State}
		for p, o := range parts {
			if o.Err != nil || o.At < 0 {
				continue
			}
			row.Parts++
			if en, ok := ends.Lookup(topic, p); ok && en.Err == nil {
				row.Lag += max(en.Offset-o.At, 0)
			}
		}
		if row.Parts > 0 {
			out = append(out, row)
		}
	}
	slices.SortFunc(out, func(a, b consumerRow) int { return strings.Compare(a.Group, b.Group) })
	return out, note
}

// overview

type logDirRow struct {
	Broker int32
	Dir    string
	Data   int64 // bytes of partitions in it
	Total  int64 // the volume's size (-1: not reported)
	Usable int64
	Used   int64 // Total - Usable
	Err    string
}

type brokerRow struct {
	NodeID     int32
	Addr       string
	Rack       string
	Controller bool
	This       bool
}

type overviewData struct {
	Info       Info
	Uptime     string
	ClusterID  string
	Brokers    []brokerRow
	Topics     int
	Partitions int
	Internal   int
	Groups     int
	GroupsErr  string
	LogDirs    []logDirRow
	LogDirsErr string
	Rates      ratesView
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	md, err := s.metadata(ctx)
	if err != nil {
		return err
	}
	d := &overviewData{Info: s.o.Info, ClusterID: md.Cluster,
		Uptime: time.Since(s.o.Info.Started).Truncate(time.Second).String()}
	for _, b := range md.Brokers {
		row := brokerRow{NodeID: b.NodeID, Addr: b.Host + ":" + strconv.Itoa(int(b.Port)), Controller: b.NodeID == md.Controller,
			This: s.o.Info.Embedded && b.NodeID == s.o.Info.NodeID}
		if b.Rack != nil {
			row.Rack = *b.Rack
		}
		d.Brokers = append(d.Brokers, row)
	}
	slices.SortFunc(d.Brokers, func(a, b brokerRow) int { return cmp.Compare(a.NodeID, b.NodeID) })
	for _, t := range md.Topics {
		if t.Err != nil {
			continue
		}
		d.Topics++
		if t.IsInternal {
			d.Internal++
		}
		d.Partitions += len(t.Partitions)
	}
	if g, err := s.adm.ListGroups(ctx); err != nil {
		d.GroupsErr = errText(err)
	} else {
		d.Groups = len(g)
	}
	if all, err := s.adm.DescribeAllLogDirs(ctx, nil); err != nil {
		d.LogDirsErr = errText(err)
	} else {
		for broker, dirs := range all {
			for _, dir := range dirs {
				row := logDirRow{Broker: broker, Dir: dir.Dir, Total: dir.TotalBytes, Usable: dir.UsableBytes, Used: -1}
				if dir.Err != nil {
					row.Err = errText(dir.Err)
				}
				if dir.TotalBytes >= 0 && dir.UsableBytes >= 0 {
					row.Used = dir.TotalBytes - dir.UsableBytes
				}
				for _, ps := range dir.Topics {
					for _, p := range ps {
						row.Data += p.Size
					}
				}
				d.LogDirs = append(d.LogDirs, row)
			}
		}
		slices.SortFunc(d.LogDirs, func(a, b logDirRow) int {
			return cmp.Or(cmp.Compare(a.Broker, b.Broker), strings.Compare(a.Dir, b.Dir))
		})
	}
	d.Rates = s.sampler.view()
	return s.render(w, r, http.StatusOK, "overview.html", "Overview", "overview", d)
}

func (s *Server) ratesFragment(w http.ResponseWriter, r *http.Request) error {
	return s.fragment(w, "overview.html", "rates", s.sampler.view())
}
