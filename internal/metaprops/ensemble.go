package metaprops

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// Ensemble is the meta.properties of every log dir of a node
// (MetaPropertiesEnsemble): Props for the formatted dirs, Empty for those
// without the file, Errors for those whose file cannot be read.
type Ensemble struct {
	Props  map[string]Props
	Empty  []string // sorted
	Errors map[string]error
}

// Load reads the meta.properties of each of dirs.
func Load(fsys vfs.FS, dirs []string) *Ensemble {
	e := &Ensemble{Props: map[string]Props{}, Errors: map[string]error{}}
	for _, d := range dirs {
		p, err := Read(fsys, d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			e.Empty = append(e.Empty, d)
		case err != nil:
			e.Errors[d] = err
		default:
			e.Props[d] = p
		}
	}
	sort.Strings(e.Empty)
	return e
}

// Dirs returns the formatted dirs, sorted.
func (e *Ensemble) Dirs() []string { return sortedKeys(e.Props) }

// ClusterID is the first cluster.id found (dirs in sorted order), or "".
func (e *Ensemble) ClusterID() string {
	for _, d := range e.Dirs() {
		if p := e.Props[d]; p.HasClusterID {
			return p.ClusterID
		}
	}
	return ""
}

// Verify is MetaPropertiesEnsemble.verify: every cluster.id equals
// clusterID (or, when clusterID is "", the first one found), every node
// id equals nodeID (or, when nodeID < 0, the first one found), V1 files
// name both, and no directory.id is reserved or used twice. The errors
// carry Kafka's messages and wrap ErrBad.
func (e *Ensemble) Verify(clusterID string, nodeID int32) error {
	seen := map[Uuid]string{}
	for _, dir := range e.Dirs() {
		p, path := e.Props[dir], Path(dir)
		switch {
		case !p.HasClusterID:
			if p.Version != V0 {
				return fmt.Errorf("%w: cluster.id was not specified in the v1 file: %s", ErrBad, path)
			}
		case clusterID == "":
			clusterID = p.ClusterID
		case p.ClusterID != clusterID:
			return fmt.Errorf("%w: Invalid cluster.id in: %s. Expected %s, but read %s", ErrBad, path, clusterID, p.ClusterID)
		}
		switch {
		case !p.HasNodeID:
			if p.Version != V0 {
				return fmt.Errorf("%w: node.id was not specified in %s", ErrBad, path)
			}
		case nodeID < 0:
			nodeID = p.NodeID
		case p.NodeID != nodeID:
			return fmt.Errorf("%w: Stored node id %d doesn't match previous node id %d in %s. "+
				"If you moved your data, make sure your configured node id matches. If you intend to "+
				"create a new node, you should remove all data in your data directories.", ErrBad, p.NodeID, nodeID, path)
		}
		if p.HasDirectoryID {
			if ReservedDirectoryID(p.DirectoryID) {
				return fmt.Errorf("%w: Invalid reserved directory ID %s found in %s", ErrBad, p.DirectoryID, dir)
			}
			if prev, dup := seen[p.DirectoryID]; dup {
				return fmt.Errorf("%w: Duplicate directory ID Optional[%s] found. It was the ID of %s, but also of %s", ErrBad, p.DirectoryID, prev, dir)
			}
			seen[p.DirectoryID] = dir
		}
	}
	return nil
}

// NewDirectoryID returns a directory ID that is valid and used by none of
// e's dirs (Copier.generateValidDirectoryId).
func (e *Ensemble) NewDirectoryID() Uuid {
	return newDirectoryID(func(u Uuid) bool {
		for _, p := range e.Props {
			if p.HasDirectoryID && p.DirectoryID == u {
				return true
			}
		}
		return false
	})
}

// Started is what Open did to the log dirs.
type Started struct {
	ClusterID string
	Formatted []string // dirs that had no meta.properties and now have one
	Rewritten []string // dirs whose meta.properties gained a directory.id
}

// Open is what a broker does with its log dirs' meta.properties at start
// (KafkaRaftServer.initializeLogDirs, with Strata's first-start rule):
//
//   - the files are verified against clusterID ("" when not configured)
//     and nodeID, so a dir of another cluster or another node is refused;
//   - a V0 file (ZooKeeper era) is accepted as Kafka 4 accepts it, as long
//     as it names both broker.id and cluster.id;
//   - every formatted dir without a directory.id gets one and is rewritten;
//   - where Kafka refuses an unformatted dir, Strata formats it (version 1,
//     the cluster of the other dirs, else clusterID, else a new random
//     one; nodeID; its own directory.id), so a first start needs no
//     format step and a dir added to log.dirs joins the node.
func Open(fsys vfs.FS, dirs []string, clusterID string, nodeID int32, now time.Time) (Started, error) {
	var st Started
	e := Load(fsys, dirs)
	for _, d := range sortedKeys(e.Errors) {
		return st, e.Errors[d] // Strata has no offline dirs: an unreadable file stops the start
	}
	if err := e.Verify(clusterID, nodeID); err != nil {
		return st, err
	}
	for _, dir := range e.Dirs() {
		p := e.Props[dir]
		if !p.HasNodeID {
			return st, fmt.Errorf("%w: Error: node ID not found in %s", ErrBad, dir)
		}
		if !p.HasClusterID {
			return st, fmt.Errorf("%w: Error: cluster ID not found in %s", ErrBad, dir)
		}
	}
	if id := e.ClusterID(); id != "" {
		clusterID = id
	}
	if clusterID == "" {
		clusterID = RandomUuid().String()
	}
	st.ClusterID = clusterID
	for _, dir := range e.Dirs() {
		p := e.Props[dir]
		if p.HasDirectoryID {
			continue
		}
		p.DirectoryID, p.HasDirectoryID = e.NewDirectoryID(), true
		if err := Write(fsys, dir, p, now); err != nil {
			return st, fmt.Errorf("%w: %w", ErrBad, err)
		}
		e.Props[dir] = p
		st.Rewritten = append(st.Rewritten, dir)
	}
	for _, dir := range e.Empty {
		p := Props{Version: V1, ClusterID: clusterID, HasClusterID: true, NodeID: nodeID, HasNodeID: true}
		p.DirectoryID, p.HasDirectoryID = e.NewDirectoryID(), true
		if err := Write(fsys, dir, p, now); err != nil {
			return st, fmt.Errorf("%w: %w", ErrBad, err)
		}
		e.Props[dir] = p
		st.Formatted = append(st.Formatted, dir)
	}
	return st, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
