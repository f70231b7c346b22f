package console

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/tools/cli"
)

type groupRow struct {
	Name         string
	State        string
	ProtocolType string
	Coordinator  int32
}

func (s *Server) groups(w http.ResponseWriter, r *http.Request) error {
	listed, err := s.adm.ListGroups(r.Context())
	if err != nil {
		return err
	}
	var rows []groupRow
	for _, g := range listed.Sorted() {
		rows = append(rows, groupRow{Name: g.Group, State: g.State, ProtocolType: g.ProtocolType, Coordinator: g.Coordinator})
	}
	return s.render(w, r, http.StatusOK, "groups.html", "Consumer groups", "groups", rows)
}

type memberRow struct {
	ID         string
	InstanceID string
	ClientID   string
	Host       string
	Assigned   []string // "topic: 0,1,2"
}

type offsetRow struct {
	Topic     string
	Partition int32
	Committed int64
	End       int64
	Lag       int64 // -1: unknown
	Member    string
	Metadata  string
}

type groupData struct {
	Name         string
	State        string
	Protocol     string
	ProtocolType string
	Coordinator  int32
	Members      []memberRow
	Offsets      []offsetRow
	TotalLag     int64
	Empty        bool // resettable
}

// describeGroup returns a group's description, or 404 when the cluster
// does not know it (Dead with no offsets).
func (s *Server) describeGroup(ctx context.Context, name string) (kadm.DescribedGroup, kadm.OffsetResponses, error) {
	described, err := s.adm.DescribeGroups(ctx, name)
	if err != nil {
		return kadm.DescribedGroup{}, nil, err
	}
	g, ok := described[name]
	if !ok {
		return kadm.DescribedGroup{}, nil, notFound("no group %q", name)
	}
	if g.Err != nil && !errors.Is(g.Err, kerr.GroupIDNotFound) {
		return g, nil, g.Err
	}
	offs, err := s.adm.FetchOffsets(ctx, name)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return g, nil, err
	}
	if (g.State == "Dead" || g.State == "" || errors.Is(g.Err, kerr.GroupIDNotFound)) && len(offs) == 0 {
		return g, nil, notFound("no group %q", name)
	}
	return g, offs, nil
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("group")
	g, offs, err := s.describeGroup(ctx, name)
	if err != nil {
		return err
	}
	d := &groupData{Name: name, State: g.State, Protocol: g.Protocol, ProtocolType: g.ProtocolType,
		Coordinator: g.Coordinator.NodeID, Empty: g.State == "Empty" || g.State == "Dead"}
	owner := map[string]map[int32]string{}
	for _, m := range g.Members {
		row := memberRow{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost}
		if m.InstanceID != nil {
			row.InstanceID = *m.InstanceID
		}
		if ca, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range ca.Topics {
				parts := slices.Clone(t.Partitions)
				slices.Sort(parts)
				row.Assigned = append(row.Assigned, t.Topic+": "+cli.JoinInt32(parts))
				if owner[t.Topic] == nil {
					owner[t.Topic] = map[int32]string{}
				}
				for _, p := range parts {
					owner[t.Topic][p] = m.MemberID
				}
			}
			slices.Sort(row.Assigned)
		}
		d.Members = append(d.Members, row)
	}
	slices.SortFunc(d.Members, func(a, b memberRow) int { return strings.Compare(a.ID, b.ID) })
	// Every committed partition, and every assigned one without a commit
	// (shown with "-", as kafka-consumer-groups.sh shows them).
	topicSet := offs.Partitions()
	for t, ps := range owner {
		for p := range ps {
			topicSet.Add(t, p)
		}
	}
	var ends kadm.ListedOffsets
	if topics := topicSet.Topics(); len(topics) > 0 {
		if ends, err = s.adm.ListEndOffsets(ctx, topics...); err != nil {
			return err
		}
	}
	for t, ps := range topicSet {
		for p := range ps {
			row := offsetRow{Topic: t, Partition: p, Committed: -1, End: -1, Lag: -1, Member: owner[t][p]}
			if o, ok := offs.Lookup(t, p); ok && o.Err == nil {
				row.Committed, row.Metadata = o.At, o.Metadata
			}
			if en, ok := ends.Lookup(t, p); ok && en.Err == nil {
				row.End = en.Offset
				if row.Committed >= 0 {
					row.Lag = max(en.Offset-row.Committed, 0)
					d.TotalLag += row.Lag
				}
			}
			d.Offsets = append(d.Offsets, row)
		}
	}
	slices.SortFunc(d.Offsets, func(a, b offsetRow) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return s.render(w, r, http.StatusOK, "group.html", name, "groups", d)
}
