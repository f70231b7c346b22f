package metaprops

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/internal/props"
	"github.com/stratabroker/strata/internal/vfs"
)

// FileName is the file in each log dir (MetaPropertiesEnsemble.META_PROPERTIES_NAME).
const FileName = "meta.properties"

// maxFile bounds what Read loads: a meta.properties is a few hundred bytes.
const maxFile = 64 << 10

// The versions of the file (MetaPropertiesVersion).
const (
	V0 = 0 // ZooKeeper era: broker.id, optional cluster.id
	V1 = 1 // KRaft: node.id and cluster.id required
)

// Property names, as Kafka spells them.
const (
	versionProp     = "version"
	clusterIDProp   = "cluster.id"
	brokerIDProp    = "broker.id"
	nodeIDProp      = "node.id"
	directoryIDProp = "directory.id"
)

// ErrBad reports a meta.properties that cannot be read, or an ensemble of
// them that does not fit together or with the configuration.
var ErrBad = errors.New("metaprops")

// Props is one meta.properties file (Kafka's MetaProperties).
type Props struct {
	Version int // V0 or V1

	ClusterID    string
	HasClusterID bool // always true in V1

	NodeID    int32 // node.id, or broker.id in V0
	HasNodeID bool  // always true in V1

	DirectoryID    Uuid
	HasDirectoryID bool
}

// Parse reads a meta.properties file's text as MetaProperties.Builder(Properties)
// and build() do, with Kafka's messages.
func Parse(data []byte) (Props, error) {
	kv, err := parseProps(data)
	if err != nil {
		return Props{}, err
	}
	var p Props
	vs, ok := kv[versionProp]
	if !ok {
		vs = "0"
	}
	n, err := strconv.ParseInt(strings.TrimSpace(vs), 10, 32)
	switch {
	case err != nil:
		return p, fmt.Errorf("Invalid meta.properties version string '%s'", vs)
	case n != V0 && n != V1:
		return p, fmt.Errorf("Unknown meta.properties version number %d", n)
	}
	p.Version = int(n)
	idProp := nodeIDProp
	if p.Version == V0 {
		idProp = brokerIDProp
	}
	if s, ok := kv[idProp]; ok {
		id, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return p, fmt.Errorf("Unable to read %s as a base-10 number.", idProp)
		}
		p.NodeID, p.HasNodeID = int32(id), true
	} else if p.Version == V1 {
		return p, fmt.Errorf("Failed to find %s", idProp)
	}
	p.ClusterID, p.HasClusterID = kv[clusterIDProp]
	if s, ok := kv[directoryIDProp]; ok {
		u, err := ParseUuid(s)
		if err != nil {
			return p, fmt.Errorf("Unable to read %s as a Uuid: %s", directoryIDProp, strings.TrimPrefix(err.Error(), ErrUuid.Error()+": "))
		}
		p.DirectoryID, p.HasDirectoryID = u, true
	}
	if p.Version == V1 && !p.HasClusterID {
		return p, errors.New("cluster.id was not found.")
	}
	return p, nil
}

// Map is the file's properties as MetaProperties.toProperties gives them.
func (p Props) Map() map[string]string {
	m := map[string]string{versionProp: strconv.Itoa(p.Version)}
	if p.HasClusterID {
		m[clusterIDProp] = p.ClusterID
	}
	if p.HasNodeID || p.Version != V0 {
		k := nodeIDProp
		if p.Version == V0 {
			k = brokerIDProp
		}
		m[k] = strconv.Itoa(int(p.NodeID))
	}
	if p.HasDirectoryID {
		m[directoryIDProp] = p.DirectoryID.String()
	}
	return m
}

// JavaDate is how java.util.Date.toString prints t, the second comment
// line java.util.Properties.store writes.
func JavaDate(t time.Time) string { return t.Format("Mon Jan 02 15:04:05 MST 2006") }

// Encode is the file as Kafka writes it (PropertiesUtils.writePropertiesFile:
// Properties.store with an empty comment, so "#", then the date line, then
// the entries in the order a java.util.Properties holding these keys
// iterates them: node.id or broker.id, directory.id, version, cluster.id).
func (p Props) Encode(now time.Time) []byte {
	return encodeProps(p.Map(), []string{nodeIDProp, brokerIDProp, directoryIDProp, versionProp, clusterIDProp}, now)
}

// encodeProps writes m's keys in the given order (then any others,
// sorted) as Properties.store(Writer, "") does.
func encodeProps(m map[string]string, order []string, now time.Time) []byte {
	var b strings.Builder
	b.WriteString("#\n#" + JavaDate(now) + "\n")
	seen := map[string]bool{}
	put := func(k string) {
		if v, ok := m[k]; ok && !seen[k] {
			seen[k] = true
			b.WriteString(escape(k, true) + "=" + escape(v, false) + "\n")
		}
	}
	for _, k := range order {
		put(k)
	}
	for _, k := range sortedKeys(m) {
		put(k)
	}
	return []byte(b.String())
}

// escape is Properties.saveConvert without Unicode escapes (store(Writer)).
func escape(s string, key bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case ' ':
			if i == 0 || key {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case '=', ':', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Path is dir's meta.properties, spelled as Java's new File(dir, name)
// spells it (dir as given, "./data" staying "./data").
func Path(dir string) string {
	if trimmed := strings.TrimRight(dir, string(filepath.Separator)); trimmed != "" {
		dir = trimmed
	} else if dir != "" {
		return string(filepath.Separator) + FileName
	}
	return dir + string(filepath.Separator) + FileName
}

// Read returns dir's meta.properties; an error matching fs.ErrNotExist
// when it has none, and ErrBad (with Kafka's reason) when it cannot be
// parsed.
func Read(fsys vfs.FS, dir string) (Props, error) {
	path := Path(dir)
	data, err := vfs.ReadFile(fsys, path, maxFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Props{}, err
		}
		return Props{}, fmt.Errorf("%w: Error while reading meta.properties file %s: %w", ErrBad, path, err)
	}
	p, err := Parse(data)
	if err != nil {
		return Props{}, fmt.Errorf("%w: Error while reading meta.properties file %s: %w", ErrBad, path, err)
	}
	return p, nil
}

// Write replaces dir's meta.properties with p atomically (temp file,
// fsync, rename, fsync of dir).
func Write(fsys vfs.FS, dir string, p Props, now time.Time) error {
	if err := vfs.WriteFileAtomic(fsys, dir, FileName, p.Encode(now)); err != nil {
		return fmt.Errorf("Error while writing meta.properties file %s: %w", dir, err)
	}
	return nil
}

// parseProps reads a Java properties file into a map (Properties.load: the
// last of a repeated key wins).
func parseProps(data []byte) (map[string]string, error) {
	list, err := props.Parse(string(data))
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(list))
	for _, p := range list {
		m[p.Key] = p.Value
	}
	return m, nil
}
