package server

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestMetadataListsInternalTopics: Metadata for all topics (v0: an empty
// list; v1+: null) lists __consumer_offsets, flagged IsInternal from v1, as
// Kafka does; clients that hide internal topics (kadm's ListTopics) still
// do, and franz-go's regex consumer skips it.
func TestMetadataListsInternalTopics(t *testing.T) {
	s := startServer(t, groupSettings...)
	if _, err := s.coordinator(); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "t1"); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	for _, v := range []int16{0, 1, 12, 13} {
		req := kmsg.NewPtrMetadataRequest()
		req.Version = v
		if v == 0 {
			req.Topics = []kmsg.MetadataRequestTopic{}
		}
		resp := rc.roundTrip(req).(*kmsg.MetadataResponse)
		var got []string
		for _, mt := range resp.Topics {
			name := *mt.Topic
			if mt.IsInternal {
				name += " internal"
			}
			got = append(got, name)
		}
		slices.Sort(got)
		want := []string{offsetsTopic + " internal", "t1"}
		if v == 0 {
			want = []string{offsetsTopic, "t1"} // v0 has no IsInternal
		}
		if !slices.Equal(got, want) {
			t.Errorf("Metadata v%d for all topics: %q, want %q", v, got, want)
		}
	}
	listed, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := listed.Names(); !slices.Equal(got, []string{"t1"}) {
		t.Errorf("kadm ListTopics: %q, want [t1]", got)
	}
	withInternal, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := withInternal.Names(); !slices.Equal(got, []string{offsetsTopic, "t1"}) {
		t.Errorf("kadm ListTopicsWithInternal: %q", got)
	}

	// franz-go's regex consumer: ".*" matches the user topic only.
	pr := newClient(t, s, kgo.DefaultProduceTopic("t1"))
	if err := pr.ProduceSync(ctx, kgo.StringRecord("v")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cons := newClient(t, s, kgo.ConsumeRegex(), kgo.ConsumeTopics(".*"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fs := cons.PollFetches(pctx)
	if err := fs.Err(); err != nil {
		t.Fatal(err)
	}
	var topics []string
	fs.EachRecord(func(r *kgo.Record) { topics = append(topics, r.Topic) })
	if !slices.Equal(topics, []string{"t1"}) {
		t.Errorf("regex consumer read from %q, want [t1]", topics)
	}
	if got := cons.GetConsumeTopics(); !slices.Equal(got, []string{"t1"}) {
		t.Errorf("regex consumer consumes %q, want [t1]", got)
	}
}
