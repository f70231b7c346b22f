package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"
)

// saramaHandler consumes until want messages arrived, marking each.
type saramaHandler struct {
	mu   sync.Mutex
	got  []string
	want int
	done chan struct{}
	once sync.Once
}

func (*saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		sess.MarkMessage(m, "")
		h.mu.Lock()
		h.got = append(h.got, string(m.Value))
		n := len(h.got)
		h.mu.Unlock()
		if n >= h.want {
			sess.Commit()
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

// saramaConsume runs a sarama consumer group member until it has want
// messages, then closes it.
func saramaConsume(t *testing.T, s *Server, want int) []string {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 2 * time.Second
	cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
	cg, err := sarama.NewConsumerGroup([]string{s.Addr().String()}, "sarama-g", cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &saramaHandler{want: want, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		var err error
		for ctx.Err() == nil && err == nil {
			err = cg.Consume(ctx, []string{"sarama-t"}, h)
		}
		errc <- err
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
		t.Fatalf("sarama got %d of %d", len(h.got), want)
	}
	cancel()
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := cg.Close(); err != nil {
		t.Fatal(err)
	}
	return h.got
}

// TestGroupSarama: sarama's consumer group joins, consumes, commits; a
// second member resumes after the commits.
func TestGroupSarama(t *testing.T) {
	s := startGroupServer(t)
	if _, err := s.topics.Create("sarama-t", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "sarama-t", 40, 0)
	if got := saramaConsume(t, s, 40); len(got) != 40 {
		t.Fatalf("got %d", len(got))
	}
	produceKeyed(t, s, "sarama-t", 4, 40)
	got := saramaConsume(t, s, 4)
	if len(got) != 4 {
		t.Fatalf("second member got %v", got)
	}
	for _, v := range got {
		if v != "v40" && v != "v41" && v != "v42" && v != "v43" {
			t.Fatalf("second member got %v, want v40..v43", got)
		}
	}
}

// TestGroupKafkaGo: segmentio/kafka-go's Reader with a GroupID (JoinGroup
// v1 and the v0 calls it hard-codes) reads and commits; a second reader
// resumes after the commits.
func TestGroupKafkaGo(t *testing.T) {
	s := startGroupServer(t)
	if _, err := s.topics.Create("kgo-t", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "kgo-t", 20, 0)
	read := func(n int) []string {
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers:           []string{s.Addr().String()},
			GroupID:           "kafka-go-g",
			Topic:             "kgo-t",
			StartOffset:       kafkago.FirstOffset,
			HeartbeatInterval: 100 * time.Millisecond,
			MaxWait:           100 * time.Millisecond,
		})
		defer r.Close()
		ctx := testCtx(t)
		var got []string
		for len(got) < n {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("after %d messages: %v", len(got), err)
			}
			got = append(got, string(m.Value))
		}
		return got
	}
	if got := read(20); len(got) != 20 {
		t.Fatalf("got %d", len(got))
	}
	produceKeyed(t, s, "kgo-t", 2, 20)
	got := read(2)
	if !(got[0] == "v20" && got[1] == "v21") && !(got[0] == "v21" && got[1] == "v20") {
		t.Fatalf("second reader got %v, want v20 and v21", got)
	}
}
