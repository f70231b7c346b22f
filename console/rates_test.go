package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestSampler: a sample sums the end offsets of the non-internal
// partitions and the groups' committed offsets.
func TestSampler(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 3, nil)
		s.records("orders", 0, 7)
		s.records("orders", 2, 5)
		s.commit("g1", map[int32]int64{0: 4, 2: 5})
		s.commit("g2", map[int32]int64{0: 1})
		smp, err := s.srv.sampler.take(tooltest.Ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if smp.produced != 12 || smp.consumed != 10 || !smp.groupsOK {
			t.Errorf("sample: produced %d consumed %d groupsOK %v; want 12, 10, true", smp.produced, smp.consumed, smp.groupsOK)
		}
	})
}

// TestRatesView: records/s between samples, drawn right-aligned.
func TestRatesView(t *testing.T) {
	sm := newSampler(nil, 5*time.Second, nil)
	if v := sm.view(); v.Samples != 0 || v.Produce != "" || v.Window != "5m0s" {
		t.Errorf("no samples: %+v", v)
	}
	at := time.Unix(1000, 0)
	sm.samples = []sample{
		{at: at, produced: 100, consumed: 50, groupsOK: true},
		{at: at.Add(5 * time.Second), produced: 600, consumed: 50, groupsOK: true},
		{at: at.Add(10 * time.Second), produced: 650, consumed: 300, groupsOK: true},
	}
	v := sm.view()
	want := ratesView{Samples: 3, Window: "5m0s", Produce: "294.9,2.0 300.0,72.2", Consume: "294.9,80.0 300.0,41.0",
		Max: "100/s", LastProduce: "10.0/s", LastConsume: "50.0/s"}
	if v != want {
		t.Errorf("view:\n%+v\nwant\n%+v", v, want)
	}
	sm.samples[2].groupsOK = false
	if v := sm.view(); v.Consume != "" || !strings.HasPrefix(v.ConsumeNote, "consume rate not sampled") {
		t.Errorf("without groups: %+v", v)
	}
}

// TestSamplerLifetime: the loop starts with the first page and stops
// with Close.
func TestSamplerLifetime(t *testing.T) {
	s := startSite(t, tooltest.StartKfake(t), func(o *Options) { o.SampleInterval = 20 * time.Millisecond })
	s.createTopic("a", 1, nil)
	s.records("a", 0, 3)
	if s.srv.sampler.running {
		t.Fatal("the sampler runs before any page")
	}
	s.ok("/")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s.srv.sampler.view().Samples < 2 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // polling for the loop's samples, bounded by ctx
	}
	body := s.ok("/overview/rates")
	if !strings.Contains(body, `<polyline class="produce" points="`) || !strings.Contains(body, `hx-trigger="every 5s"`) {
		t.Errorf("rates fragment:\n%s", body)
	}
	s.srv.Close()
	if s.srv.sampler.running && s.srv.sampler.done != nil {
		select {
		case <-s.srv.sampler.done:
		default:
			t.Error("the sampler still runs after Close")
		}
	}
}
