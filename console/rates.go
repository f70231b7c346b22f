package console

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// sampler measures produce and consume rates from the console's side of
// the protocol: every interval it sums the end offsets of every
// non-internal partition (records produced) and the committed offsets of
// every group (records consumed and committed; a consumer that does not
// commit is not seen: no Kafka API reports fetch rates). It keeps the
// last samplesKept samples. It runs only while the console is used: the
// first page starts it, and it stops after idleStop without a page, so an
// unwatched console sends the cluster nothing.
type sampler struct {
	adm      *kadm.Client
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	samples []sample
	running bool
	lastUse time.Time
	quit    chan struct{}
	done    chan struct{}
	stopped bool
}

type sample struct {
	at       time.Time
	produced int64 // sum of end offsets
	consumed int64 // sum of committed offsets
	groupsOK bool
}

const (
	samplesKept  = 61
	idleStop     = 10 * time.Minute
	maxRateGroup = 200 // groups whose commits a sample reads at most
)

func newSampler(adm *kadm.Client, interval time.Duration, log *slog.Logger) *sampler {
	return &sampler{adm: adm, interval: interval, log: log, quit: make(chan struct{})}
}

// touch records a use and starts the loop if it is not running.
func (s *sampler) touch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastUse = time.Now()
	if s.running || s.stopped {
		return
	}
	s.running = true
	s.done = make(chan struct{})
	go s.loop(s.done)
}

func (s *sampler) stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.quit)
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (s *sampler) loop(done chan struct{}) {
	defer close(done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.interval)
		go func() {
			select {
			case <-s.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		s.sampleOnce(ctx)
		cancel()
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if time.Since(s.lastUse) > idleStop {
			s.running = false
			s.samples = nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// sampleOnce takes one sample (a failed one is skipped).
func (s *sampler) sampleOnce(ctx context.Context) {
	smp, err := s.take(ctx)
	if err != nil {
		s.log.Debug("console: rate sample failed", "err", err)
		return
	}
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	if len(s.samples) > samplesKept {
		s.samples = append(s.samples[:0], s.samples[len(s.samples)-samplesKept:]...)
	}
	s.mu.Unlock()
}

func (s *sampler) take(ctx context.Context) (sample, error) {
	smp := sample{at: time.Now()}
	ends, err := s.adm.ListEndOffsets(ctx)
	if err != nil {
		return smp, err
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && !strings.HasPrefix(o.Topic, "__") {
			smp.produced += o.Offset
		}
	})
	groups, err := s.adm.ListGroups(ctx)
	if err == nil && len(groups) <= maxRateGroup {
		smp.groupsOK = true
		for _, r := range s.adm.FetchManyOffsets(ctx, groups.Groups()...) {
			if r.Err != nil {
				smp.groupsOK = false
				continue
			}
			r.Fetched.Each(func(o kadm.OffsetResponse) {
				if o.Err == nil && o.At > 0 {
					smp.consumed += o.At
				}
			})
		}
	}
	return smp, nil
}

// ratesView is the chart: two polylines in a 300x80 box, records/s.
type ratesView struct {
	Samples     int
	Window      string
	Produce     string // SVG points
	Consume     string
	Max         string
	LastProduce string
	LastConsume string
	ConsumeNote string
}

const chartW, chartH = 300.0, 80.0

func (s *sampler) view() ratesView {
	s.mu.Lock()
	smp := append([]sample(nil), s.samples...)
	s.mu.Unlock()
	v := ratesView{Samples: len(smp), Window: (time.Duration(samplesKept-1) * s.interval).String()}
	if len(smp) < 2 {
		return v
	}
	var prod, cons []float64
	consOK := true
	for i := 1; i < len(smp); i++ {
		dt := smp[i].at.Sub(smp[i-1].at).Seconds()
		if dt <= 0 {
			dt = s.interval.Seconds()
		}
		prod = append(prod, max(float64(smp[i].produced-smp[i-1].produced), 0)/dt)
		if !smp[i].groupsOK || !smp[i-1].groupsOK {
			consOK = false
		}
		cons = append(cons, max(float64(smp[i].consumed-smp[i-1].consumed), 0)/dt)
	}
	top := 1.0
	for i := range prod {
		top = max(top, prod[i], cons[i])
	}
	v.Max = rate(top)
	v.Produce = points(prod, top)
	v.LastProduce = rate(prod[len(prod)-1])
	if consOK {
		v.Consume = points(cons, top)
		v.LastConsume = rate(cons[len(cons)-1])
	} else {
		v.ConsumeNote = fmt.Sprintf("consume rate not sampled (more than %d groups, or their offsets could not be read)", maxRateGroup)
	}
	return v
}

func rate(f float64) string {
	if f >= 100 {
		return fmt.Sprintf("%.0f/s", f)
	}
	return fmt.Sprintf("%.1f/s", f)
}

// points lays ys out right-aligned over samplesKept-1 slots.
func points(ys []float64, top float64) string {
	var b strings.Builder
	step := chartW / float64(samplesKept-2)
	x0 := chartW - step*float64(len(ys)-1)
	for i, y := range ys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x0+step*float64(i), chartH-y/top*(chartH-2))
	}
	return b.String()
}
