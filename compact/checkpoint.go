package compact

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/internal/vfs"
)

// CheckpointName is Kafka's cleaner checkpoint, one per log directory: for
// each compacted partition of the directory, the first dirty offset (where
// the next pass starts mapping). Its layout is Kafka's
// OffsetCheckpointFile: a version line (0), a count line, then one
// "topic partition offset" line per partition. It is written atomically
// (temporary file, fsync, rename, fsync of the directory) after each pass.
// A lost or stale checkpoint only costs work: a missing entry means the
// log start offset, and the whole log is cleaned again.
const CheckpointName = "cleaner-offset-checkpoint"

// maxCheckpointBytes bounds the file read (a line per partition).
const maxCheckpointBytes = 64 << 20

// splitName cuts a partition directory's name "topic-partition" into the
// checkpoint's two fields.
func splitName(dirName string) (topic string, partition int32, ok bool) {
	i := strings.LastIndexByte(dirName, '-')
	if i <= 0 {
		return "", 0, false
	}
	p, err := strconv.ParseInt(dirName[i+1:], 10, 32)
	if err != nil || p < 0 {
		return "", 0, false
	}
	return dirName[:i], int32(p), true
}

// readCheckpoint reads dir's checkpoint: partition directory name -> first
// dirty offset. A missing file is empty; a malformed one is an error (the
// caller logs it and starts empty).
func readCheckpoint(fsys vfs.FS, dir string) (map[string]int64, error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, CheckpointName), maxCheckpointBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) < 2 || lines[0] != "0" {
		return nil, fmt.Errorf("compact: %s: unknown version line %q", CheckpointName, lines[0])
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n != len(lines)-2 {
		return nil, fmt.Errorf("compact: %s: count %q for %d entries", CheckpointName, lines[1], len(lines)-2)
	}
	out := make(map[string]int64, n)
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("compact: %s: malformed line %q", CheckpointName, line)
		}
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		off, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("compact: %s: malformed line %q", CheckpointName, line)
		}
		out[f[0]+"-"+strconv.FormatInt(p, 10)] = off
	}
	return out, nil
}

// encodeCheckpoint is the file's bytes for entries, sorted for stable
// output. Names that are not "topic-partition" are left out.
func encodeCheckpoint(entries map[string]int64) []byte {
	var body bytes.Buffer
	n := 0
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		topic, p, ok := splitName(name)
		if !ok {
			continue
		}
		fmt.Fprintf(&body, "%s %d %d\n", topic, p, entries[name])
		n++
	}
	return fmt.Appendf(nil, "0\n%d\n%s", n, body.Bytes())
}
