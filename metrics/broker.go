package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/server"
)

// brokerCollector collects the strata_* metrics of a server that have no
// series per topic, partition or group (those are in state.go).
type brokerCollector struct {
	srv *server.Server

	requests, errors                      *prometheus.Desc
	phases                                [server.NumPhases]*prometheus.Desc
	connections, accepted                 *prometheus.Desc
	authSuccesses, authFailures           *prometheus.Desc
	aclDenials                            *prometheus.Desc
	throttleTime, throttled               *prometheus.Desc
	longPolls                             *prometheus.Desc
	dirFree, dirTotal                     *prometheus.Desc
	queued, queuedBytes, fetchMemory      *prometheus.Desc
	heldReads, sendfileBytes, copiedBytes *prometheus.Desc

	buckets []float64 // the latency buckets' upper bounds, without +Inf
}

// phaseMetric names the latency histogram of each phase, after Kafka's
// RequestMetrics (RequestQueueTimeMs, LocalTimeMs, RemoteTimeMs,
// ResponseQueueTimeMs, ResponseSendTimeMs, TotalTimeMs), in seconds.
var phaseMetric = [server.NumPhases]struct{ name, help string }{
	server.PhaseQueue:         {"strata_request_queue_time_seconds", "Time a request waited, read whole, for a queued.max.requests slot (Kafka's RequestQueueTimeMs)."},
	server.PhaseLocal:         {"strata_request_local_time_seconds", "Time a request's handler ran, less its remote time (Kafka's LocalTimeMs)."},
	server.PhaseRemote:        {"strata_request_remote_time_seconds", "Time a request waited on others: a Fetch's long poll, a rebalance, a commit's append (Kafka's RemoteTimeMs)."},
	server.PhaseResponseQueue: {"strata_response_queue_time_seconds", "Time a response waited for the connection's writer (Kafka's ResponseQueueTimeMs)."},
	server.PhaseResponseSend:  {"strata_response_send_time_seconds", "Time writing a response (Kafka's ResponseSendTimeMs)."},
	server.PhaseTotal:         {"strata_request_total_time_seconds", "Time from a request read whole to its response written (Kafka's TotalTimeMs)."},
}

func newBrokerCollector(srv *server.Server) *brokerCollector {
	d := prometheus.NewDesc
	c := &brokerCollector{
		srv:      srv,
		requests: d("strata_requests_total", "Requests served, by API and version.", []string{"request", "version"}, nil),
		errors:   d("strata_request_errors_total", "Error codes answered, by API, version and error (per partition where a response has partitions, as Kafka's ErrorsPerSec).", []string{"request", "version", "error"}, nil),

		connections:   d("strata_connections", "Client connections open now, by listener.", []string{"listener"}, nil),
		accepted:      d("strata_connections_accepted_total", "Client connections accepted, by listener.", []string{"listener"}, nil),
		authSuccesses: d("strata_authentication_success_total", "SASL authentications that succeeded, by listener and mechanism (Kafka's successful-authentication-total).", []string{"listener", "mechanism"}, nil),
		aclDenials:    d("strata_acl_denials_total", "Authorization checks the ACLs denied, by resource type and operation (Kafka's names: TOPIC, WRITE, ...).", []string{"resource_type", "operation"}, nil),
		authFailures:  d("strata_authentication_failure_total", "SASL authentications that failed, by listener and mechanism (\"unsupported\": one the listener does not enable; Kafka's failed-authentication-total).", []string{"listener", "mechanism"}, nil),
		throttleTime:  d("strata_quota_throttle_time_ms_total", "Throttle time given to clients over their quotas, by quota type (Produce, Fetch, Request, ControllerMutation; Kafka's throttle-time).", []string{"quota"}, nil),
		throttled:     d("strata_quota_throttled_total", "Responses throttled by a client quota, by quota type.", []string{"quota"}, nil),
		longPolls:     d("strata_fetch_long_polls_waiting", "Fetch requests waiting in their long poll now.", nil, nil),

		dirFree:  d("strata_log_dir_free_bytes", "Bytes available to the broker on the log dir's filesystem (-1: unknown).", []string{"dir"}, nil),
		dirTotal: d("strata_log_dir_total_bytes", "Size of the log dir's filesystem (-1: unknown).", []string{"dir"}, nil),

		queued:        d("strata_queued_requests", "Requests read and not yet handled (queued.max.requests slots taken).", nil, nil),
		queuedBytes:   d("strata_queued_request_bytes", "Bytes of request frames being read, waiting or being handled (queued.max.request.bytes).", nil, nil),
		fetchMemory:   d("strata_fetch_memory_bytes", "Bytes of the fetch memory budget in use (strata.fetch.memory.max.bytes).", nil, nil),
		heldReads:     d("strata_fetch_held_reads", "Partition reads of Fetch responses holding segment references.", nil, nil),
		sendfileBytes: d("strata_fetch_sendfile_bytes_total", "Record bytes of Fetch responses sent with sendfile.", nil, nil),
		copiedBytes:   d("strata_fetch_copied_bytes_total", "Record bytes of Fetch responses copied through a buffer.", nil, nil),
	}
	for p, m := range phaseMetric {
		c.phases[p] = d(m.name, m.help, []string{"request"}, nil)
	}
	for i := range server.LatencyBuckets - 1 {
		c.buckets = append(c.buckets, server.LatencyBound(i))
	}
	return c
}

func (c *brokerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.requests, c.errors, c.connections, c.accepted, c.authSuccesses, c.authFailures, c.aclDenials, c.throttleTime, c.throttled, c.longPolls, c.dirFree, c.dirTotal,
		c.queued, c.queuedBytes, c.fetchMemory, c.heldReads, c.sendfileBytes, c.copiedBytes,
	} {
		ch <- d
	}
	for _, d := range c.phases {
		ch <- d
	}
}

func (c *brokerCollector) Collect(ch chan<- prometheus.Metric) {
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	for _, a := range c.srv.APIStats() {
		for _, v := range a.Requests {
			ch <- prometheus.MustNewConstMetric(c.requests, counter, float64(v.Count), a.Name, strconv.Itoa(int(v.Version)))
		}
		for _, e := range a.Errors {
			ch <- prometheus.MustNewConstMetric(c.errors, counter, float64(e.Count), a.Name, strconv.Itoa(int(e.Version)), errorName(e.Code))
		}
		for p := range a.Latency {
			h := &a.Latency[p]
			cum := make(map[float64]uint64, len(c.buckets))
			var n uint64
			for i, b := range c.buckets {
				n += h.Counts[i]
				cum[b] = n
			}
			ch <- prometheus.MustNewConstHistogram(c.phases[p], h.Count, h.SumSeconds, cum, a.Name)
		}
	}
	for _, l := range c.srv.Listeners() {
		ch <- prometheus.MustNewConstMetric(c.connections, gauge, float64(l.Open), l.Name)
		ch <- prometheus.MustNewConstMetric(c.accepted, counter, float64(l.Accepted), l.Name)
	}
	for _, a := range c.srv.AuthCounts() {
		ch <- prometheus.MustNewConstMetric(c.authSuccesses, counter, float64(a.Successes), a.Listener, a.Mechanism)
		ch <- prometheus.MustNewConstMetric(c.authFailures, counter, float64(a.Failures), a.Listener, a.Mechanism)
	}
	for _, d := range c.srv.ACLDenials() {
		ch <- prometheus.MustNewConstMetric(c.aclDenials, counter, float64(d.Count), d.ResourceType, d.Operation)
	}
	for _, q := range c.srv.QuotaThrottles() {
		ch <- prometheus.MustNewConstMetric(c.throttleTime, counter, float64(q.ThrottleMs), q.Kind)
		ch <- prometheus.MustNewConstMetric(c.throttled, counter, float64(q.Throttled), q.Kind)
	}
	ch <- prometheus.MustNewConstMetric(c.longPolls, gauge, float64(c.srv.LongPolls()))

	st := c.srv.Stats()
	ch <- prometheus.MustNewConstMetric(c.queued, gauge, float64(st.QueuedRequests))
	ch <- prometheus.MustNewConstMetric(c.queuedBytes, gauge, float64(st.QueuedRequestBytes))
	ch <- prometheus.MustNewConstMetric(c.fetchMemory, gauge, float64(st.FetchMemory))
	ch <- prometheus.MustNewConstMetric(c.heldReads, gauge, float64(st.HeldReads))
	ch <- prometheus.MustNewConstMetric(c.sendfileBytes, counter, float64(st.SendfileBytes))
	ch <- prometheus.MustNewConstMetric(c.copiedBytes, counter, float64(st.CopiedBytes))

	for _, d := range c.srv.LogDirs() {
		ch <- prometheus.MustNewConstMetric(c.dirFree, gauge, float64(d.Usable), d.Dir)
		ch <- prometheus.MustNewConstMetric(c.dirTotal, gauge, float64(d.Total), d.Dir)
	}
}

// errorName is Kafka's name of an error code, e.g. UNKNOWN_TOPIC_OR_PARTITION.
func errorName(code int16) string {
	if err := kerr.ErrorForCode(code); err != nil {
		if ke, ok := err.(*kerr.Error); ok {
			return ke.Message
		}
	}
	return strconv.Itoa(int(code))
}
