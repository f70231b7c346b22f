package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/internal/vfs"
)

// The data directory holds, besides one directory per partition and the
// topic registry's topics.json:
//
//	meta.properties     Kafka's format: version=1, cluster.id, node.id
//	producer_id_block   the end of the last producer-ID block handed out
//	dynamic_configs.json  the dynamic broker configs (dynamic_configs.go)
const (
	metaFile       = "meta.properties"
	pidBlockFile   = "producer_id_block"
	pidBlockSize   = 1000
	maxSmallFile   = 64 << 10
	clusterIDBytes = 16
)

// ErrMeta reports a data directory whose meta.properties disagrees with
// the configuration or cannot be read.
var ErrMeta = errors.New("server: bad meta.properties")

// newClusterID returns a random cluster ID in Kafka's form: 16 random
// bytes, base64url without padding (Uuid.randomUuid().toString()).
func newClusterID() string {
	var b [clusterIDBytes]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// loadClusterID returns the cluster ID of the log dirs, creating
// meta.properties in each dir that lacks one (a new dir added to log.dirs
// joins the cluster of the others). Every dir that has one must name the
// same cluster, and a configured cluster.id must match it, as Kafka
// requires: a dir of another cluster would mix two clusters' logs.
func loadClusterID(fsys vfs.FS, dirs []string, configured string, nodeID int32) (string, error) {
	id, from := configured, ""
	var missing []string
	for _, dir := range dirs {
		stored, err := readClusterID(fsys, dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, dir)
			continue
		case err != nil:
			return "", err
		}
		switch {
		case id == "":
			id, from = stored, dir
		case stored != id && from == "":
			return "", fmt.Errorf("%w: cluster.id %q is configured but the data directory %s belongs to cluster %q", ErrMeta, configured, dir, stored)
		case stored != id:
			return "", fmt.Errorf("%w: the log dirs belong to different clusters: %s to %q, %s to %q", ErrMeta, from, id, dir, stored)
		}
	}
	if id == "" {
		id = newClusterID()
	}
	body := fmt.Sprintf("#Written by Strata\nversion=1\ncluster.id=%s\nnode.id=%d\n", id, nodeID)
	for _, dir := range missing {
		if err := writeAtomic(fsys, dir, metaFile, []byte(body)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// readClusterID returns the cluster.id of dir's meta.properties; an error
// wrapping fs.ErrNotExist when it has none.
func readClusterID(fsys vfs.FS, dir string) (string, error) {
	path := filepath.Join(dir, metaFile)
	data, err := readSmall(fsys, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrMeta) {
			return "", err
		}
		return "", fmt.Errorf("server: %w", err)
	}
	props, err := config.ParseProperties(string(data))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrMeta, path, err)
	}
	var stored string
	for _, p := range props {
		if p.Key == "cluster.id" {
			stored = p.Value
		}
	}
	if stored == "" {
		return "", fmt.Errorf("%w: %s has no cluster.id", ErrMeta, path)
	}
	return stored, nil
}

// readSmall reads a small state file whole (vfs.ReadFile); a file over
// maxSmallFile is not ours (ErrMeta).
func readSmall(fsys vfs.FS, path string) ([]byte, error) {
	b, err := vfs.ReadFile(fsys, path, maxSmallFile)
	if errors.Is(err, vfs.ErrFileTooLarge) {
		return nil, fmt.Errorf("%w: %w", ErrMeta, err)
	}
	return b, err
}

// writeAtomic replaces dir/name with data (vfs.WriteFileAtomic).
func writeAtomic(fsys vfs.FS, dir, name string, data []byte) error {
	if err := vfs.WriteFileAtomic(fsys, dir, name, data); err != nil {
		return fmt.Errorf("server: write %s: %w", name, err)
	}
	return nil
}

// producerIDs hands out producer IDs for InitProducerId. IDs are reserved
// in blocks of pidBlockSize: the end of the current block is persisted
// before any ID of it is handed out, so a restart never reuses an ID.
type producerIDs struct {
	fs   vfs.FS
	dir  string
	mu   sync.Mutex
	next int64
	end  int64 // persisted; next == end means a new block must be reserved
}

func openProducerIDs(fsys vfs.FS, dir string) (*producerIDs, error) {
	p := &producerIDs{fs: fsys, dir: dir}
	data, err := readSmall(fsys, filepath.Join(dir, pidBlockFile))
	switch {
	case err == nil:
		end, perr := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if perr != nil || end < 0 {
			return nil, fmt.Errorf("%w: %s holds %q", ErrMeta, pidBlockFile, data)
		}
		p.next, p.end = end, end
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("server: %w", err)
	}
	return p, nil
}

// allocate returns a new producer ID.
func (p *producerIDs) allocate() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == p.end {
		end := p.end + pidBlockSize
		if err := writeAtomic(p.fs, p.dir, pidBlockFile, []byte(strconv.FormatInt(end, 10)+"\n")); err != nil {
			return 0, err
		}
		p.end = end
	}
	id := p.next
	p.next++
	return id, nil
}
