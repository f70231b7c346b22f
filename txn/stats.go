package txn

// MarkersWritten is how many transaction markers the coordinator has
// written since it started (each partition of each completed transaction,
// again after a restart for the ones it completes then).
func (c *Coordinator) MarkersWritten() int64 { return c.markersWritten.Load() }

// TimeoutAborts is how many transactions the coordinator has aborted for
// running past their transaction.timeout.ms since it started.
func (c *Coordinator) TimeoutAborts() int64 { return c.timeoutAborts.Load() }
