package metaprops

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// BootstrapFile is Strata's counterpart of Kafka's bootstrap.checkpoint:
// the finalized feature levels `storage format` chose, for the broker to
// take at its first start. Kafka's file is a KRaft snapshot of
// FeatureLevelRecords; Strata has no metadata log, so its file is a Java
// properties file of feature=level lines (written by Properties.store's
// rules: "#", a date line, then the entries sorted by name), plus
// initial.controllers when --standalone or --initial-controllers was given.
const BootstrapFile = "strata.bootstrap.properties"

// InitialControllersKey records the KIP-853 voters of the format command
// (id@host:port:directoryId,...) in BootstrapFile.
const InitialControllersKey = "initial.controllers"

// Bootstrap is the content of BootstrapFile.
type Bootstrap struct {
	Features           map[string]int16 // feature name (metadata.version included) to level
	InitialControllers string           // "" when none were given
}

// Encode is the file's text.
func (b Bootstrap) Encode(now time.Time) []byte {
	m := make(map[string]string, len(b.Features)+1)
	for k, v := range b.Features {
		m[k] = strconv.Itoa(int(v))
	}
	if b.InitialControllers != "" {
		m[InitialControllersKey] = b.InitialControllers
	}
	return encodeProps(m, nil, now)
}

// WriteBootstrap replaces dir's BootstrapFile atomically.
func WriteBootstrap(fsys vfs.FS, dir string, b Bootstrap, now time.Time) error {
	return vfs.WriteFileAtomic(fsys, dir, BootstrapFile, b.Encode(now))
}

// ReadBootstrap reads dir's BootstrapFile: an error matching
// fs.ErrNotExist when there is none (the broker then starts with its
// default levels, as Kafka does without bootstrap.checkpoint).
func ReadBootstrap(fsys vfs.FS, dir string) (Bootstrap, error) {
	path := filepath.Join(dir, BootstrapFile)
	data, err := vfs.ReadFile(fsys, path, maxFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Bootstrap{}, err
		}
		return Bootstrap{}, fmt.Errorf("%w: %s: %w", ErrBad, path, err)
	}
	kv, err := parseProps(data)
	if err != nil {
		return Bootstrap{}, fmt.Errorf("%w: %s: %w", ErrBad, path, err)
	}
	b := Bootstrap{Features: map[string]int16{}}
	for k, v := range kv {
		if k == InitialControllersKey {
			b.InitialControllers = v
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 16)
		if err != nil {
			return Bootstrap{}, fmt.Errorf("%w: %s: %s=%s is not a feature level", ErrBad, path, k, v)
		}
		b.Features[k] = int16(n)
	}
	return b, nil
}
