package quota

import "math"

// Window is Kafka's quota metric config: quota.window.num samples of
// quota.window.size.seconds each.
type Window struct {
	Samples  int   // quota.window.num, default 11
	WindowMs int64 // quota.window.size.seconds in ms, default 1000
}

// DefaultWindow is Kafka's default: 11 samples of 1 s.
var DefaultWindow = Window{Samples: 11, WindowMs: 1000}

type sample struct {
	value       float64
	events      int64
	startMs     int64
	lastEventMs int64
}

func (s *sample) reset(now int64) { *s = sample{startMs: now, lastEventMs: now} }

// Rate is Kafka's Rate with a WindowedSum (SampledStat); not safe for
// concurrent use (Sensor locks it).
type Rate struct {
	w       Window
	samples []sample
	current int
}

// NewRate returns an empty rate over w.
func NewRate(w Window) *Rate { return &Rate{w: w} }

func (r *Rate) cur(now int64) *sample {
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{startMs: now, lastEventMs: now})
	}
	return &r.samples[r.current]
}

// Record adds value at now (SampledStat.record).
func (r *Rate) Record(value float64, now int64) {
	s := r.cur(now)
	if now-s.startMs >= r.w.WindowMs {
		r.current = (r.current + 1) % (r.w.Samples + 1)
		if r.current >= len(r.samples) {
			r.samples = append(r.samples, sample{startMs: now, lastEventMs: now})
		} else {
			r.samples[r.current].reset(now)
		}
		s = &r.samples[r.current]
	}
	s.value += value
	s.events++
	s.lastEventMs = now
}

func (r *Rate) purge(now int64) {
	expire := int64(r.w.Samples) * r.w.WindowMs
	for i := range r.samples {
		if now-r.samples[i].lastEventMs >= expire {
			r.samples[i].reset(now)
		}
	}
}

// WindowSize is Rate.windowSize: the elapsed time since the oldest sample,
// at least samples-1 full windows, at least 1 ms.
func (r *Rate) WindowSize(now int64) int64 {
	r.purge(now)
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{startMs: now, lastEventMs: now})
	}
	oldest := r.samples[0].startMs
	for _, s := range r.samples[1:] {
		if s.startMs < oldest {
			oldest = s.startMs
		}
	}
	elapsed := now - oldest
	full := elapsed / r.w.WindowMs
	if minFull := int64(r.w.Samples - 1); full < minFull {
		elapsed += (minFull - full) * r.w.WindowMs
	}
	return max(elapsed, 1)
}

// Measure is the rate per second at now.
func (r *Rate) Measure(now int64) float64 {
	r.purge(now)
	var sum float64
	for _, s := range r.samples {
		sum += s.value
	}
	return sum / (float64(r.WindowSize(now)) / 1000)
}

// ThrottleMs is QuotaUtils.throttleTime for an observed rate over bound
// measured over windowMs: round((rate-bound)/bound*windowMs).
func ThrottleMs(rate, bound float64, windowMs int64) int64 {
	return int64(math.Round((rate - bound) / bound * float64(windowMs)))
}

// tokenBucket is Kafka's TokenBucket (KIP-599), the controller mutation
// rate: tokens refill at the quota per second up to a burst of samples x
// window x quota; a mutation takes its permits; below zero the quota is
// violated.
type tokenBucket struct {
	tokens float64
	last   int64
}

func (b *tokenBucket) refill(quota, burst float64, now int64) {
	b.tokens = min(burst, b.tokens+quota*float64(now-b.last)/1000)
	b.last = now
}

// TokenThrottleMs is ControllerMutationQuotaManager.throttleTimeMs:
// round(-tokens/bound*1000).
func TokenThrottleMs(tokens, bound float64) int64 {
	return int64(math.Round(-tokens / bound * 1000))
}
