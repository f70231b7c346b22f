package kafkaver

import (
	"strconv"
	"strings"
)

// Feature names that have a meaning of their own in Kafka's code.
const (
	MetadataVersionName = "metadata.version"
	KRaftVersionName    = "kraft.version"
)

// MetadataVersion is one level of Kafka's MetadataVersion.
type MetadataVersion struct {
	Level   int16
	Release string // "4.1"
	IV      string // "IV1"
	Changed bool   // didMetadataChange
}

// String is the version as Kafka prints it, "4.1-IV1".
func (m MetadataVersion) String() string { return m.Release + "-" + m.IV }

// Production reports whether m is at most LATEST_PRODUCTION.
func (m MetadataVersion) Production() bool { return m.Level <= LatestProduction }

// MetadataVersion.MINIMUM_VERSION and LATEST_PRODUCTION in Kafka 4.1.
const (
	Minimum          int16 = 7  // 3.3-IV3
	LatestProduction int16 = 27 // 4.1-IV1
)

// MetadataVersions are Kafka 4.1's levels in order, from MINIMUM_VERSION
// through the unstable 4.2-IV1.
var MetadataVersions = []MetadataVersion{
	{7, "3.3", "IV3", true}, {8, "3.4", "IV0", true},
	{9, "3.5", "IV0", false}, {10, "3.5", "IV1", false}, {11, "3.5", "IV2", true},
	{12, "3.6", "IV0", false}, {13, "3.6", "IV1", true}, {14, "3.6", "IV2", true},
	{15, "3.7", "IV0", true}, {16, "3.7", "IV1", false}, {17, "3.7", "IV2", true}, {18, "3.7", "IV3", false}, {19, "3.7", "IV4", false},
	{20, "3.8", "IV0", false}, {21, "3.9", "IV0", false},
	{22, "4.0", "IV0", false}, {23, "4.0", "IV1", true}, {24, "4.0", "IV2", false}, {25, "4.0", "IV3", false},
	{26, "4.1", "IV0", false}, {27, "4.1", "IV1", false},
	{28, "4.2", "IV0", false}, {29, "4.2", "IV1", false},
}

// Latest is the highest level Kafka 4.1 knows, unstable ones included
// (MetadataVersion.latestTesting).
func Latest() MetadataVersion { return MetadataVersions[len(MetadataVersions)-1] }

// ByLevel is MetadataVersion.fromFeatureLevel.
func ByLevel(level int16) (MetadataVersion, bool) {
	for _, m := range MetadataVersions {
		if m.Level == level {
			return m, true
		}
	}
	return MetadataVersion{}, false
}

// MustLevel is ByLevel for a level known to exist.
func MustLevel(level int16) MetadataVersion {
	m, ok := ByLevel(level)
	if !ok {
		panic("kafkaver: no metadata.version level " + strconv.Itoa(int(level)))
	}
	return m
}

// FromVersionString is MetadataVersion.fromVersionString: "4.0-IV1" names
// that level; a release, "4.0" (or "4.0.1"), names its last level, or,
// unless unstable, its last production level.
func FromVersionString(s string, unstable bool) (MetadataVersion, bool) {
	key := s
	if seg := strings.Split(s, "."); len(seg) > 2 {
		key = seg[0] + "." + seg[1]
	}
	var found MetadataVersion
	ok := false
	for _, m := range MetadataVersions {
		if m.String() == key || (m.Release == key && (unstable || m.Production())) {
			found, ok = m, true
		}
	}
	return found, ok
}

// MetadataChanged reports whether a level above low and up to high changed
// the metadata (MetadataVersion.checkIfMetadataChanged).
func MetadataChanged(low, high int16) bool {
	for _, m := range MetadataVersions {
		if m.Level > low && m.Level <= high && m.Changed {
			return true
		}
	}
	return false
}
