package storage

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// metadataVersion is one of Kafka 4.1's MetadataVersion values.
type metadataVersion struct {
	level   int16
	release string // "4.1"
	iv      string // "IV1"
}

func (m metadataVersion) String() string { return m.release + "-" + m.iv }

// metadataVersions is Kafka 4.1's MetadataVersion enum, in order
// (server-common/.../MetadataVersion.java); the last two are not yet
// production in 4.1.
var metadataVersions = []metadataVersion{
	{7, "3.3", "IV3"}, {8, "3.4", "IV0"}, {9, "3.5", "IV0"}, {10, "3.5", "IV1"}, {11, "3.5", "IV2"},
	{12, "3.6", "IV0"}, {13, "3.6", "IV1"}, {14, "3.6", "IV2"}, {15, "3.7", "IV0"}, {16, "3.7", "IV1"},
	{17, "3.7", "IV2"}, {18, "3.7", "IV3"}, {19, "3.7", "IV4"}, {20, "3.8", "IV0"}, {21, "3.9", "IV0"},
	{22, "4.0", "IV0"}, {23, "4.0", "IV1"}, {24, "4.0", "IV2"}, {25, "4.0", "IV3"}, {26, "4.1", "IV0"},
	{27, "4.1", "IV1"}, {28, "4.2", "IV0"}, {29, "4.2", "IV1"},
}

const (
	mvMinimum          = 7  // MetadataVersion.MINIMUM_VERSION, 3.3-IV3
	mvLatestProduction = 27 // MetadataVersion.LATEST_PRODUCTION, 4.1-IV1
	metadataVersionKey = "metadata.version"
)

func mvOf(level int16) (metadataVersion, bool) {
	for _, m := range metadataVersions {
		if m.level == level {
			return m, true
		}
	}
	return metadataVersion{}, false
}

func (m metadataVersion) production() bool { return m.level <= mvLatestProduction }

// parseReleaseVersion is MetadataVersion.fromVersionString: "4.1-IV0", or
// a release ("4.1", "4.1.0") standing for its latest production version.
func parseReleaseVersion(s string) (metadataVersion, error) {
	key := s
	if parts := strings.Split(s, "."); len(parts) > 2 {
		key = parts[0] + "." + parts[1]
	}
	var found metadataVersion
	ok := false
	for _, m := range metadataVersions {
		if m.String() == key || (m.release == key && m.production()) {
			found, ok = m, true
			if m.String() == key {
				break
			}
		}
	}
	if !ok {
		min, _ := mvOf(mvMinimum)
		return found, fmt.Errorf("Version %s is not a valid version. The minimum version is %s and the maximum version is %s",
			s, min, metadataVersions[len(metadataVersions)-1])
	}
	return found, nil
}

// featureLevel is one level of a feature: the metadata version from which
// it is the default (its bootstrapMetadataVersion) and what it depends on.
type featureLevel struct {
	level     int16
	bootstrap int16            // metadata.version level
	deps      map[string]int16 // feature name to level
}

// feature is one of Kafka 4.1's features (server-common/.../Feature.java).
type feature struct {
	name             string
	levels           []featureLevel
	latestProduction int16
}

// kafkaFeatures is Kafka 4.1's Feature.PRODUCTION_FEATURES, in its order.
var kafkaFeatures = []feature{
	{"kraft.version", []featureLevel{{0, mvMinimum, nil}, {1, 21, nil}}, 1},
	{"transaction.version", []featureLevel{{0, mvMinimum, nil}, {1, 24, nil}, {2, 24, nil}}, 2},
	{"group.version", []featureLevel{{0, mvMinimum, nil}, {1, 22, nil}}, 1},
	{"eligible.leader.replicas.version", []featureLevel{{0, mvMinimum, nil}, {1, 26, map[string]int16{metadataVersionKey: 23}}}, 1},
	{"share.version", []featureLevel{{0, mvMinimum, nil}, {1, 28, nil}}, 1},
	{"streams.version", []featureLevel{{0, mvMinimum, nil}, {1, 29, nil}}, 0},
}

// strataFeatures are the features of kafkaFeatures that Strata has (besides
// metadata.version): what the tool prints, accepts and records. kraft.version
// (no quorum yet), eligible.leader.replicas.version (no replication) and
// streams.version (no streams groups) are Kafka's features Strata lacks.
var strataFeatures = []string{"transaction.version", "group.version", "share.version"}

// strataMaxLevel is the highest level of each feature the broker supports
// (server/features.go keeps the same table; the broker refuses to start on
// a dir that finalizes more): level 1 of transaction.version, group.version
// and share.version means KIP-890 transactions, the KIP-848 protocol and
// KIP-932 share groups, which Strata has not built yet. A format takes
// Kafka's default for the release, capped here.
var strataMaxLevel = map[string]int16{"transaction.version": 0, "group.version": 0, "share.version": 0}

func supportedFeatures() []feature {
	var out []feature
	for _, f := range kafkaFeatures {
		for _, n := range strataFeatures {
			if f.name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

// defaultLevel is Feature.defaultLevel: the highest level whose bootstrap
// metadata version is at most mv.
func (f feature) defaultLevel(mv int16) int16 {
	level := f.levels[0].level
	for _, l := range f.levels {
		if l.bootstrap > mv {
			break
		}
		level = l.level
	}
	return level
}

// fromLevel is Feature.fromFeatureLevel.
func (f feature) fromLevel(level int16, unstable bool) (featureLevel, error) {
	for _, l := range f.levels {
		if l.level == level && (unstable || level <= f.latestProduction) {
			return l, nil
		}
	}
	return featureLevel{}, fmt.Errorf("No feature:%s with feature level %d", f.name, level)
}

// runVersionMapping is StorageTool.runVersionMappingCommand.
func runVersionMapping(w io.Writer, release string) error {
	if release == "" {
		m, _ := mvOf(mvLatestProduction)
		release = m.String()
	}
	mv, err := parseReleaseVersion(release)
	if err != nil {
		min, _ := mvOf(mvMinimum)
		latest, _ := mvOf(mvLatestProduction)
		return fmt.Errorf("Unknown release version '%s'. Supported versions are: %s to %s", release, min, latest)
	}
	fmt.Fprintf(w, "metadata.version=%d (%s)\n", mv.level, release)
	for _, f := range supportedFeatures() {
		fmt.Fprintf(w, "%s=%d\n", f.name, f.defaultLevel(mv.level))
	}
	return nil
}

// runFeatureDependencies is StorageTool.runFeatureDependenciesCommand.
func runFeatureDependencies(w io.Writer, args []string) error {
	for _, arg := range args {
		parts := strings.Split(arg, "=")
		if len(parts) != 2 {
			return fmt.Errorf("Can't parse feature=version string %s: want exactly one equals sign.", arg)
		}
		name, vs := parts[0], parts[1]
		n, err := strconv.ParseInt(vs, 10, 16)
		if err != nil {
			return fmt.Errorf("Invalid version format: %s for feature %s", vs, name)
		}
		level := int16(n)
		if name == metadataVersionKey {
			mv, ok := mvOf(level)
			if !ok {
				return fmt.Errorf("Unknown metadata.version %d", level)
			}
			fmt.Fprintf(w, "%s=%d (%s) has no dependencies.\n", name, level, mv)
			continue
		}
		var f *feature
		for _, g := range supportedFeatures() {
			if g.name == name {
				f = &g
			}
		}
		if f == nil {
			return fmt.Errorf("Unknown feature: %s", name)
		}
		fl, err := f.fromLevel(level, true)
		if err != nil {
			return fmt.Errorf("Feature level %d is not supported for feature %s", level, name)
		}
		if len(fl.deps) == 0 {
			fmt.Fprintf(w, "%s=%d has no dependencies.\n", name, level)
			continue
		}
		fmt.Fprintf(w, "%s=%d requires:\n", name, level)
		for _, dep := range sortedNames(fl.deps) {
			if dep == metadataVersionKey {
				mv, _ := mvOf(fl.deps[dep])
				fmt.Fprintf(w, "    %s=%d (%s)\n", dep, fl.deps[dep], mv)
			} else {
				fmt.Fprintf(w, "    %s=%d\n", dep, fl.deps[dep])
			}
		}
	}
	return nil
}
