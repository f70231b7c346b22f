package console

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// A reset of a group's offsets is three steps: a form (GET), a preview of
// the new offsets with a confirmation form (POST step=preview), and the
// commit (POST step=apply). Kafka's consumer-groups tool resets only an
// inactive group; so does the console, checked again at the commit.

type resetData struct {
	Group    string
	State    string
	Topics   []string // topics with committed offsets
	Topic    string   // "": all of them
	Strategy string   // earliest, latest, timestamp, offset
	Value    string   // the timestamp or offset
	Rows     []resetRow
	Empty    bool
}

type resetRow struct {
	Topic     string
	Partition int32
	Current   int64 // -1: none
	New       int64
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("group")
	g, offs, err := s.describeGroup(r.Context(), name)
	if err != nil {
		return err
	}
	d := &resetData{Group: name, State: g.State, Topics: offs.Partitions().Sorted().Topics(), Strategy: "earliest",
		Empty: g.State == "Empty" || g.State == "Dead"}
	return s.render(w, r, http.StatusOK, "reset.html", "Reset offsets", "groups", d)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("group")
	f := r.PostForm
	g, offs, err := s.describeGroup(ctx, name)
	if err != nil {
		return err
	}
	d := &resetData{Group: name, State: g.State, Topics: offs.Partitions().Sorted().Topics(), Topic: f.Get("topic"),
		Strategy: f.Get("strategy"), Value: strings.TrimSpace(f.Get("value")), Empty: g.State == "Empty" || g.State == "Dead"}
	if !d.Empty {
		return &httpError{http.StatusConflict, fmt.Sprintf("Offsets of group %s can be reset only when it is inactive (Empty), but its state is %s: stop its consumers first. Nothing was changed.", name, g.State)}
	}
	rows, err := s.resetPlan(ctx, d, offs)
	if err != nil {
		return err
	}
	d.Rows = rows
	if f.Get("step") != "apply" {
		return s.render(w, r, http.StatusOK, "reset.html", "Reset offsets: confirm", "groups", d)
	}
	commit := kadm.Offsets{}
	for _, row := range rows {
		commit.AddOffset(row.Topic, row.Partition, row.New, -1)
	}
	resps, err := s.adm.CommitOffsets(ctx, name, commit)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return kafkaRefused(err)
	}
	return redirect(w, r, groupPath(name)+"?done=reset")
}

// resetPlan computes the new offsets: every partition of the chosen
// topics (the group's committed ones when none is chosen), clamped to
// each partition's [log start, end], as Kafka's tool clamps them.
func (s *Server) resetPlan(ctx context.Context, d *resetData, offs kadm.OffsetResponses) ([]resetRow, error) {
	topics := d.Topics
	if d.Topic != "" {
		if _, err := s.topicMeta(ctx, d.Topic); err != nil {
			return nil, err
		}
		topics = []string{d.Topic}
	}
	if len(topics) == 0 {
		return nil, badRequest("the group has no committed offsets: choose a topic")
	}
	starts, err := s.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	ends, err := s.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var target kadm.ListedOffsets
	var to int64
	switch d.Strategy {
	case "earliest", "latest":
	case "offset":
		if to, err = strconv.ParseInt(d.Value, 10, 64); err != nil {
			return nil, badRequest("the offset %q is not a number", d.Value)
		}
	case "timestamp":
		ms, err := parseTime(d.Value)
		if err != nil {
			return nil, badRequest("timestamp %q: %v", d.Value, err)
		}
		if target, err = s.adm.ListOffsetsAfterMilli(ctx, ms, topics...); err != nil {
			return nil, err
		}
	default:
		return nil, badRequest("strategy must be earliest, latest, timestamp or offset")
	}
	var rows []resetRow
	var bad error
	ends.Each(func(en kadm.ListedOffset) {
		st, _ := starts.Lookup(en.Topic, en.Partition)
		if en.Err != nil || st.Err != nil {
			bad = cmp.Or(en.Err, st.Err)
			return
		}
		row := resetRow{Topic: en.Topic, Partition: en.Partition, Current: -1}
		if o, ok := offs.Lookup(en.Topic, en.Partition); ok && o.Err == nil {
			row.Current = o.At
		}
		switch d.Strategy {
		case "earliest":
			row.New = st.Offset
		case "latest":
			row.New = en.Offset
		case "offset":
			row.New = min(max(to, st.Offset), en.Offset)
		case "timestamp":
			row.New = en.Offset
			if a, ok := target.Lookup(en.Topic, en.Partition); ok && a.Err == nil && a.Offset >= 0 {
				row.New = min(max(a.Offset, st.Offset), en.Offset)
			}
		}
		rows = append(rows, row)
	})
	if bad != nil {
		return nil, bad
	}
	slices.SortFunc(rows, func(a, b resetRow) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return rows, nil
}
