package partition

// Segments is how many segments the log has now (the metrics' segment
// count); like Size, it reads the current snapshot and takes no lock.
func (l *Log) Segments() int { return len(l.view.Load().segs) }
