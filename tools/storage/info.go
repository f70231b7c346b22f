package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/stratabroker/strata/internal/metaprops"
	"github.com/stratabroker/strata/internal/vfs"
)

// runInfo is StorageTool.infoCommand: the directories found, the
// meta.properties of the first formatted one (its properties sorted, as a
// java.util.TreeMap prints them) and the problems; exit code 1 when there
// are problems. Strata has no ZooKeeper mode, so the configuration is
// always taken as KRaft's and a version 0 file is a problem.
func runInfo(w io.Writer, fsys vfs.FS, dirs []string) int {
	if len(dirs) == 0 {
		fmt.Fprintln(w, "No directories specified.")
		return 0
	}
	var problems, found []string
	var prev *metaprops.Props
	for _, d := range dirs {
		p := javaPath(d)
		st, err := fsys.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, p+" does not exist")
			continue
		case err != nil || !st.IsDir():
			problems = append(problems, p+" is not a directory")
			continue
		}
		found = append(found, p)
		meta := filepath.Join(p, metaprops.FileName)
		data, err := vfs.ReadFile(fsys, meta, 64<<10)
		if errors.Is(err, fs.ErrNotExist) {
			problems = append(problems, p+" is not formatted.")
			continue
		}
		var cur metaprops.Props
		if err == nil {
			cur, err = metaprops.Parse(data)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("Error loading %s: %v", meta, err))
			continue
		}
		switch {
		case prev == nil:
			prev = &cur
		case prev.HasClusterID != cur.HasClusterID || prev.ClusterID != cur.ClusterID:
			problems = append(problems, "Mismatched cluster IDs between storage directories.")
		case prev.HasNodeID != cur.HasNodeID || prev.NodeID != cur.NodeID:
			problems = append(problems, "Mismatched node IDs between storage directories.")
		}
	}
	if prev != nil && prev.Version == metaprops.V0 {
		problems = append(problems, "The kafka configuration file appears to be for a cluster in KRaft mode, but "+
			"the directories are formatted for legacy mode.")
	}
	if len(found) > 0 {
		if len(found) == 1 {
			fmt.Fprintln(w, "Found log directory:")
		} else {
			fmt.Fprintln(w, "Found log directories:")
		}
		for _, d := range found {
			fmt.Fprintf(w, "  %s\n", d)
		}
		fmt.Fprintln(w)
	}
	if prev != nil {
		m := prev.Map()
		var parts []string
		for _, k := range keys(m) {
			parts = append(parts, k+"="+m[k])
		}
		fmt.Fprintf(w, "Found metadata: {%s}\n\n", strings.Join(parts, ", "))
	}
	if len(problems) == 0 {
		return 0
	}
	if len(problems) == 1 {
		fmt.Fprintln(w, "Found problem:")
	} else {
		fmt.Fprintln(w, "Found problems:")
	}
	for _, p := range problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintln(w)
	return 1
}

// javaPath is Paths.get(s).toString(): repeated slashes collapsed and a
// trailing slash dropped ("." and ".." stay).
func javaPath(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	if len(s) > 1 {
		s = strings.TrimSuffix(s, "/")
	}
	return s
}
