package server

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/stratabroker/strata/internal/metaprops"
	"github.com/stratabroker/strata/internal/vfs"
)

// The data directory holds, besides one directory per partition and the
// topic registry's topics.json:
//
//	meta.properties     Kafka's format (internal/metaprops): version=1,
//	                    cluster.id, node.id, directory.id
//	producer_id_block   the end of the last producer-ID block handed out
//	dynamic_configs.json  the dynamic broker configs (dynamic_configs.go)
const (
	pidBlockFile = "producer_id_block"
	pidBlockSize = 1000
	maxSmallFile = 64 << 10
)

// ErrMeta reports a data directory whose meta.properties disagrees with
// the configuration or cannot be read.
var ErrMeta = errors.New("server: bad meta.properties")

// openMeta verifies the log dirs' meta.properties against the configured
// cluster.id and node.id and formats the dirs that have none
// (metaprops.Open): a dir of another cluster or another node is refused,
// with Kafka's message naming the file and both ids. It returns the
// cluster ID.
func (s *Server) openMeta(dirs []string) (string, error) {
	st, err := metaprops.Open(s.fs, dirs, s.cfg.ClusterID, s.cfg.NodeID, s.now())
	if err != nil {
		if errors.Is(err, metaprops.ErrBad) {
			return "", fmt.Errorf("%w: %s", ErrMeta, strings.TrimPrefix(err.Error(), metaprops.ErrBad.Error()+": "))
		}
		return "", fmt.Errorf("server: %w", err)
	}
	for _, d := range st.Formatted {
		s.log.Info("formatted log dir", "dir", d, "cluster_id", st.ClusterID, "node_id", s.cfg.NodeID)
	}
	for _, d := range st.Rewritten {
		s.log.Info("rewriting meta.properties with a directory.id", "dir", d)
	}
	return st.ClusterID, nil
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
