package server

// Dynamic broker configs (Kafka's KIP-226): IncrementalAlterConfigs and
// AlterConfigs on the BROKER resource change the properties config.IsDynamic
// names, for this broker (resource name = node.id) or as the cluster-wide
// default (resource name ""). The configuration in force is the static one
// with both levels merged over it (config.Broker.WithDynamic), swapped
// atomically; every topic's logs are then resolved again
// (topic.Registry.Reconfigure), so a topic without an override takes a new
// log.* default at once.
//
// Both levels persist in the data directory as dynamic_configs.json,
// replaced atomically (temp, fsync, rename, fsync dir) before the change is
// in force:
//
//	{"version": 1, "default": {"log.retention.ms": "7200000"},
//	 "brokers": {"1": {"log.segment.bytes": "2097152"}}}
//
// At start, entries that are no longer dynamic or no longer valid are
// dropped and logged, as Kafka ignores invalid persisted dynamic configs.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/tlsconf"
)

const dynamicConfigsFile = "dynamic_configs.json"

// dynamicConfigs is the server's dynamic broker configs.
type dynamicConfigs struct {
	mu     sync.Mutex // serialises alters: the file's read-modify-write and the swap
	stored dynamicFileData
	eff    atomic.Pointer[config.Broker] // the configuration in force
}

type dynamicFileData struct {
	Version int                          `json:"version"`
	Default map[string]string            `json:"default,omitempty"`
	Brokers map[string]map[string]string `json:"brokers,omitempty"`
}

// config returns the configuration in force: the static one with the
// dynamic broker configs merged over it.
func (s *Server) config() *config.Broker { return s.dyn.eff.Load() }

// resolveTopicConfig is the registry's Resolve: a topic's overrides over the
// configuration in force.
func (s *Server) resolveTopicConfig(overrides map[string]string) (partition.Config, error) {
	return s.config().TopicConfig(overrides)
}

// loadDynamic reads dynamic_configs.json (none: no dynamic configs) and puts
// the configuration in force. Invalid entries are dropped and logged.
func (s *Server) loadDynamic() error {
	s.dyn.eff.Store(s.cfg)
	data, err := readSmall(s.fs, filepath.Join(s.dataDir, dynamicConfigsFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("server: %w", err)
	}
	var f dynamicFileData
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		return fmt.Errorf("%w: %s: version %d, %v", ErrMeta, dynamicConfigsFile, f.Version, err)
	}
	self := strconv.Itoa(int(s.cfg.NodeID))
	def, per := s.dropInvalid("default", f.Default), s.dropInvalid("broker "+self, f.Brokers[self])
	eff, err := s.cfg.WithDynamic(per, def)
	if err != nil {
		s.log.Error("dynamic broker configs could not be applied; the cluster default's alone are tried", "err", err)
		per = nil
		if eff, err = s.cfg.WithDynamic(nil, def); err != nil {
			s.log.Error("dynamic default broker configs could not be applied; none are", "err", err)
			eff = s.cfg
		}
	}
	s.dyn.stored = f
	s.dyn.eff.Store(eff)
	if s.tlsChanged(s.cfg, eff) {
		// A listener's dynamic keystore: the static one stays if it fails.
		if built, err := buildTLS(eff, s.listeners); err != nil {
			s.log.Error("dynamic SSL configs could not be applied; the static ones are in force", "err", err)
		} else {
			s.setTLS(built)
		}
	}
	if p, d := eff.DynamicConfigs(); len(p)+len(d) > 0 {
		s.log.Info("dynamic broker configs", "broker", p, "default", d)
	}
	return nil
}

// dropInvalid returns the entries of a persisted level that are still
// dynamic and valid.
func (s *Server) dropInvalid(level string, props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for name, v := range props {
		if _, err := config.CheckDynamic(map[string]string{name: v}); err != nil {
			s.log.Error("persisted dynamic broker config ignored", "level", level, "name", name, "err", err)
			continue
		}
		out[name] = v
	}
	return out
}

// checkBrokerResource checks a BROKER resource name of an alter: "" (the
// cluster default) or this broker's node.id, with Kafka's messages
// (ConfigAdminManager.validateResourceNameIsCurrentNodeId).
func (s *Server) checkBrokerResource(name string) error {
	if name == "" {
		return nil
	}
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return kerrf(kerr.InvalidRequest, "Node id must be an integer, but it is: %s", name)
	}
	if int32(id) != s.cfg.NodeID {
		return kerrf(kerr.InvalidRequest, "Unexpected broker id, expected %d, but received %s", s.cfg.NodeID, name)
	}
	return nil
}

// checkAlterNames refuses a config named twice and, except for DELETE
// (del), a null value, as Kafka's ConfigAdminManager.preprocess does.
func checkAlterNames(names []string, values []*string, del []bool) error {
	seen := make(map[string]bool, len(names))
	var nulls []string
	for i, n := range names {
		if seen[n] {
			return kerrf(kerr.InvalidRequest, "Error due to duplicate config keys")
		}
		seen[n] = true
		if values[i] == nil && !del[i] {
			nulls = append(nulls, n)
		}
	}
	if len(nulls) > 0 {
		return kerrf(kerr.InvalidRequest, "Null value not supported for : %s", strings.Join(nulls, ", "))
	}
	return nil
}

// alterBrokerConfigs changes one level of dynamic broker configs (name ""
// the cluster default, else this broker's) to what next returns for the
// current set: the result is checked (Kafka answers INVALID_REQUEST for a
// property that is not dynamic or a value that does not parse or fit),
// persisted, put in force and applied to every topic's logs. With
// validateOnly nothing changes.
func (s *Server) alterBrokerConfigs(name string, next func(map[string]string) (map[string]string, error), validateOnly bool) error {
	if err := s.checkBrokerResource(name); err != nil {
		return err
	}
	s.dyn.mu.Lock()
	defer s.dyn.mu.Unlock()
	self := strconv.Itoa(int(s.cfg.NodeID))
	per, def := s.config().DynamicConfigs()
	cur := def
	if name != "" {
		cur = per
	}
	want, err := next(cur)
	if err != nil {
		return err
	}
	canon, err := config.CheckDynamic(want)
	if err != nil {
		return asInvalidRequest(err)
	}
	if err := checkTLSLevel(name, canon); err != nil {
		return err
	}
	if name == "" {
		def = canon
	} else {
		per = canon
	}
	eff, err := s.cfg.WithDynamic(per, def)
	if err != nil {
		return asInvalidRequest(err)
	}
	old := s.config()
	if err := old.CheckCleanerChange(eff); err != nil {
		return asInvalidRequest(err)
	}
	var tlsNext map[string]*tlsconf.Listener
	if s.tlsChanged(old, eff) {
		// A keystore that does not load is refused before anything changes.
		if tlsNext, err = buildTLS(eff, s.listeners); err != nil {
			return asInvalidRequest(err)
		}
	}
	if validateOnly {
		return nil
	}
	f := dynamicFileData{Version: 1, Default: def, Brokers: maps.Clone(s.dyn.stored.Brokers)}
	if f.Brokers == nil {
		f.Brokers = map[string]map[string]string{}
	}
	f.Brokers[self] = per
	for id, m := range f.Brokers {
		if len(m) == 0 {
			delete(f.Brokers, id)
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := writeAtomic(s.fs, s.dataDir, dynamicConfigsFile, append(data, '\n')); err != nil {
		return err
	}
	s.dyn.stored = f
	s.dyn.eff.Store(eff)
	if tlsNext != nil {
		s.setTLS(tlsNext) // new connections take the new certificates
	}
	failed := s.topics.Reconfigure()
	s.reconfigureCleaner(old, eff)
	level := "broker " + self
	if name == "" {
		level = "cluster default"
	}
	s.log.Info("altered dynamic broker configs", "level", level, "configs", sortedPairs(canon), "topics_not_resolved", failed)
	return nil
}

// asInvalidRequest is how Kafka answers a dynamic broker config it refuses:
// INVALID_REQUEST with the validation's message (KAFKA-13609 notes the
// code should have been INVALID_CONFIG; it was kept for compatibility).
func asInvalidRequest(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return kerrf(kerr.InvalidRequest, "%s", ce.Msg)
	}
	return kerrf(kerr.InvalidRequest, "%s", err.Error())
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}
