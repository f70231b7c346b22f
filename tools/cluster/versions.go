package cluster

import (
	"strconv"
	"strings"
)

// Kafka 4.1's own knowledge of metadata.version levels and feature versions
// (server-common's MetadataVersion and the FeatureVersion enums), which
// kafka-features.sh prints from without asking a broker: levelToString,
// version-mapping, feature-dependencies and --release-version.

const metadataVersionName = "metadata.version"

// metadataVersion is one level of MetadataVersion.
type metadataVersion struct {
	level   int16
	release string // "4.1"
	iv      string // "IV1"
}

func (mv metadataVersion) String() string { return mv.release + "-" + mv.iv }

// metadataVersions are Kafka 4.1's levels in order, from MINIMUM_VERSION
// (3.3-IV3) through 4.2-IV1, the unstable levels its share and streams
// features name.
var metadataVersions = []metadataVersion{
	{7, "3.3", "IV3"}, {8, "3.4", "IV0"},
	{9, "3.5", "IV0"}, {10, "3.5", "IV1"}, {11, "3.5", "IV2"},
	{12, "3.6", "IV0"}, {13, "3.6", "IV1"}, {14, "3.6", "IV2"},
	{15, "3.7", "IV0"}, {16, "3.7", "IV1"}, {17, "3.7", "IV2"}, {18, "3.7", "IV3"}, {19, "3.7", "IV4"},
	{20, "3.8", "IV0"}, {21, "3.9", "IV0"},
	{22, "4.0", "IV0"}, {23, "4.0", "IV1"}, {24, "4.0", "IV2"}, {25, "4.0", "IV3"},
	{26, "4.1", "IV0"}, {27, "4.1", "IV1"},
	{28, "4.2", "IV0"}, {29, "4.2", "IV1"},
}

// latestProduction is MetadataVersion.LATEST_PRODUCTION in Kafka 4.1.
var latestProduction = metadataVersion{27, "4.1", "IV1"}

var minimumVersion = metadataVersions[0]

// metadataVersionByLevel is MetadataVersion.fromFeatureLevel.
func metadataVersionByLevel(level int16) (metadataVersion, bool) {
	for _, mv := range metadataVersions {
		if mv.level == level {
			return mv, true
		}
	}
	return metadataVersion{}, false
}

// metadataVersionFromString is MetadataVersion.fromVersionString: "4.0-IV1"
// names a level, "4.0" (or "4.0.1") the last level of that release.
func metadataVersionFromString(s string) (metadataVersion, bool) {
	key := s
	if seg := strings.Split(s, "."); len(seg) > 2 {
		key = strings.Join(seg[:2], ".")
	}
	var found metadataVersion
	ok := false
	for _, mv := range metadataVersions {
		if mv.String() == key || mv.release == key {
			found, ok = mv, true
		}
	}
	return found, ok
}

// levelToString is FeatureCommand.levelToString.
func levelToString(feature string, level int16) string {
	if feature == metadataVersionName {
		if mv, ok := metadataVersionByLevel(level); ok {
			return mv.String()
		}
		return "UNKNOWN " + strconv.Itoa(int(level))
	}
	return strconv.Itoa(int(level))
}

// featureVersion is one level of a feature: the metadata.version from
// which a new cluster gets it by default, and what it depends on.
type featureVersion struct {
	level     int16
	bootstrap int16 // metadata.version level
	deps      []dependency
}

type dependency struct {
	feature string
	level   int16
}

// feature is one of Kafka 4.1's production features
// (Feature.PRODUCTION_FEATURES), in its order.
type feature struct {
	name     string
	versions []featureVersion
}

var productionFeatures = []feature{
	{"kraft.version", []featureVersion{{0, 7, nil}, {1, 21, []dependency{{metadataVersionName, 21}}}}},
	{"transaction.version", []featureVersion{{0, 7, nil}, {1, 24, nil}, {2, 24, nil}}},
	{"group.version", []featureVersion{{0, 7, nil}, {1, 22, []dependency{{metadataVersionName, 22}}}}},
	{"eligible.leader.replicas.version", []featureVersion{{0, 7, nil}, {1, 26, []dependency{{metadataVersionName, 23}}}}},
	{"share.version", []featureVersion{{0, 7, nil}, {1, 28, []dependency{{metadataVersionName, 27}}}}},
	{"streams.version", []featureVersion{{0, 7, nil}, {1, 29, nil}}},
}

// defaultLevel is Feature.defaultLevel: the last level whose bootstrap
// metadata.version is at most mv.
func (f feature) defaultLevel(mv int16) int16 {
	level := f.versions[0].level
	for _, v := range f.versions {
		if v.bootstrap > mv {
			break
		}
		level = v.level
	}
	return level
}

func (f feature) version(level int16) (featureVersion, bool) {
	for _, v := range f.versions {
		if v.level == level {
			return v, true
		}
	}
	return featureVersion{}, false
}

func productionFeature(name string) (feature, bool) {
	for _, f := range productionFeatures {
		if f.name == name {
			return f, true
		}
	}
	return feature{}, false
}

// metadataVersionsToString is FeatureCommand.metadataVersionsToString over
// Kafka 4.1's supported range.
func metadataVersionsToString() string {
	var names []string
	for _, mv := range metadataVersions {
		if mv.level > latestProduction.level {
			break
		}
		names = append(names, mv.String())
	}
	return strings.Join(names, ", ")
}
