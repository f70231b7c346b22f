package topic

// Reconfigure resolves every topic's overrides again (Options.Resolve) and
// applies the result to its logs (Log.SetConfig): the broker's defaults
// changed (dynamic broker configs), so topics that do not override a config
// take the new value at once, and a topic whose cleanup.policy comes from
// log.cleanup.policy joins or leaves the log cleaner. A topic whose overrides no longer resolve
// keeps its logs' config; the failure is logged and counted in the result.
// Serialised with the other changes, so a topic created meanwhile is
// resolved either before or here.
func (r *Registry) Reconfigure() (failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0
	}
	for _, t := range r.snap.Load().sorted {
		cfg, err := r.resolveConfigs(t.Name, t.Configs)
		if err != nil {
			failed++
			r.logger.Error("topic config no longer resolves; its logs keep their config", "topic", t.Name, "err", err)
			continue
		}
		for _, l := range t.Partitions {
			l.SetConfig(cfg)
		}
		r.cleanerSync(t) // log.cleanup.policy may have changed
	}
	return failed
}
