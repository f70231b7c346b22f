package topic

import "sync/atomic"

// Counters are a topic's traffic counters, kept for the metrics: the
// server adds to them on the produce and fetch paths (atomic adds only)
// and the metrics read them at scrape time. Every snapshot of a topic
// shares its one Counters; they start at zero when the registry opens the
// topic and go with it when it is deleted.
type Counters struct {
	BytesIn    atomic.Int64 // bytes of the record batches appended, as stored
	RecordsIn  atomic.Int64 // records appended
	BytesOut   atomic.Int64 // record bytes sent in Fetch responses
	RecordsOut atomic.Int64 // record offsets sent in Fetch responses (whole batches)
}

// In counts one appended batch of records records and bytes bytes. A nil
// Counters (a Topic not made by a registry) counts nothing.
func (c *Counters) In(bytes, records int64) {
	if c == nil {
		return
	}
	c.BytesIn.Add(bytes)
	c.RecordsIn.Add(records)
}

// Out counts bytes and records sent to a consumer.
func (c *Counters) Out(bytes, records int64) {
	if c == nil {
		return
	}
	c.BytesOut.Add(bytes)
	c.RecordsOut.Add(records)
}
