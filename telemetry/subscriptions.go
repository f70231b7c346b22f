package telemetry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"

	"github.com/stratabroker/strata/internal/vfs"
)

// File is the name of the subscriptions file in its directory.
const File = "client_metrics.json"

// maxFile bounds what Open reads of the file.
const maxFile = 64 << 20

type fileData struct {
	Version       int                          `json:"version"`
	Subscriptions map[string]map[string]string `json:"subscriptions"`
}

// load reads the subscriptions file; a missing file is no subscriptions.
// A subscription that no longer validates is dropped and reported through
// warn, as Kafka ignores invalid persisted configs.
func (m *Manager) load(warn func(name string, err error)) error {
	data, err := vfs.ReadFile(m.fs, filepath.Join(m.dir, File), maxFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("telemetry: %w", err)
	}
	var f fileData
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		return fmt.Errorf("telemetry: %s: version %d: %v", File, f.Version, err)
	}
	for _, name := range sortedKeys(f.Subscriptions) {
		props := f.Subscriptions[name]
		sub, err := parseSubscription(name, props)
		if err != nil {
			warn(name, err)
			continue
		}
		m.props[name] = props
		m.subs[name] = sub
	}
	return nil
}

// persist writes every subscription's configs, replacing the file
// atomically (temp, fsync, rename, fsync dir).
func (m *Manager) persist(props map[string]map[string]string) error {
	data, err := json.MarshalIndent(fileData{Version: 1, Subscriptions: props}, "", "  ")
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	if err := vfs.WriteFileAtomic(m.fs, m.dir, File, append(data, '\n')); err != nil {
		return fmt.Errorf("telemetry: write %s: %w", File, err)
	}
	return nil
}

// Names returns the names of the subscriptions, sorted.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedKeys(m.props)
}

// Configs returns the configs set on subscription name (none when it does
// not exist).
func (m *Manager) Configs(name string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.props[name])
}

// Alter replaces the configs of subscription name with what next returns
// for its current ones (empty for a new subscription). The result is
// validated as Kafka validates it; an empty result deletes the
// subscription (Kafka's way: all its configs deleted). The change is
// durable before it is in force; with validateOnly nothing changes.
func (m *Manager) Alter(name string, next func(cur map[string]string) (map[string]string, error), validateOnly bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if name == "" {
		return errorf(ErrInvalidRequest, "Subscription name can't be empty")
	}
	want, err := next(maps.Clone(m.props[name]))
	if err != nil {
		return err
	}
	var sub *Subscription
	if len(want) > 0 {
		if sub, err = parseSubscription(name, want); err != nil {
			return err
		}
	} else if err := Validate(name, want); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	_, existed := m.props[name]
	if len(want) == 0 && !existed {
		return nil
	}
	all := maps.Clone(m.props)
	if len(want) == 0 {
		delete(all, name)
	} else {
		all[name] = maps.Clone(want)
	}
	if err := m.persist(all); err != nil {
		return err
	}
	m.props = all
	if sub == nil {
		delete(m.subs, name)
	} else {
		m.subs[name] = sub
	}
	m.version++
	return nil
}
