package storage

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/internal/kafkaver"
)

// Kafka 4.1's MetadataVersion and Feature tables and the levels Strata
// supports are internal/kafkaver's; this file is what the storage tool
// makes of them.

const (
	mvMinimum          = kafkaver.Minimum          // 3.3-IV3
	mvLatestProduction = kafkaver.LatestProduction // 4.1-IV1
	metadataVersionKey = kafkaver.MetadataVersionName
)

// strataFeatures are the features of kafkaver.Features that Strata has
// (besides metadata.version): what the tool prints, accepts and records.
// kraft.version (no quorum yet), eligible.leader.replicas.version (no
// replication) and streams.version (no streams groups) are Kafka's
// features Strata lacks.
var strataFeatures = []string{"transaction.version", "group.version", "share.version"}

// strataMaxLevel is the highest level of a feature the broker supports
// (kafkaver.Supported; the broker refuses to start on a dir that finalizes
// more). A format takes Kafka's default for the release, capped here.
func strataMaxLevel(name string) int16 {
	_, max, _ := kafkaver.SupportedRange(name)
	return max
}

func supportedFeatures() []kafkaver.Feature {
	var out []kafkaver.Feature
	for _, f := range kafkaver.Features {
		for _, n := range strataFeatures {
			if f.Name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

// parseReleaseVersion is MetadataVersion.fromVersionString: "4.1-IV0", or
// a release ("4.1", "4.1.0") standing for its latest production version.
func parseReleaseVersion(s string) (kafkaver.MetadataVersion, error) {
	mv, ok := kafkaver.FromVersionString(s, false)
	if !ok {
		return mv, fmt.Errorf("Version %s is not a valid version. The minimum version is %s and the maximum version is %s",
			s, kafkaver.MustLevel(mvMinimum), kafkaver.Latest())
	}
	return mv, nil
}

// fromLevel is Feature.fromFeatureLevel.
func fromLevel(f kafkaver.Feature, level int16, unstable bool) (kafkaver.FeatureLevel, error) {
	l, ok := f.Level(level, unstable)
	if !ok {
		return l, fmt.Errorf("No feature:%s with feature level %d", f.Name, level)
	}
	return l, nil
}

// runVersionMapping is StorageTool.runVersionMappingCommand.
func runVersionMapping(w io.Writer, release string) error {
	if release == "" {
		release = kafkaver.MustLevel(mvLatestProduction).String()
	}
	mv, err := parseReleaseVersion(release)
	if err != nil {
		return fmt.Errorf("Unknown release version '%s'. Supported versions are: %s to %s",
			release, kafkaver.MustLevel(mvMinimum), kafkaver.MustLevel(mvLatestProduction))
	}
	fmt.Fprintf(w, "metadata.version=%d (%s)\n", mv.Level, release)
	for _, f := range supportedFeatures() {
		fmt.Fprintf(w, "%s=%d\n", f.Name, f.DefaultLevel(mv.Level))
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
			mv, ok := kafkaver.ByLevel(level)
			if !ok {
				return fmt.Errorf("Unknown metadata.version %d", level)
			}
			fmt.Fprintf(w, "%s=%d (%s) has no dependencies.\n", name, level, mv)
			continue
		}
		var f *kafkaver.Feature
		for _, g := range supportedFeatures() {
			if g.Name == name {
				f = &g
			}
		}
		if f == nil {
			return fmt.Errorf("Unknown feature: %s", name)
		}
		fl, err := fromLevel(*f, level, true)
		if err != nil {
			return fmt.Errorf("Feature level %d is not supported for feature %s", level, name)
		}
		if len(fl.Deps) == 0 {
			fmt.Fprintf(w, "%s=%d has no dependencies.\n", name, level)
			continue
		}
		fmt.Fprintf(w, "%s=%d requires:\n", name, level)
		for _, dep := range fl.Deps {
			if dep.Feature == metadataVersionKey {
				mv, _ := kafkaver.ByLevel(dep.Level)
				fmt.Fprintf(w, "    %s=%d (%s)\n", dep.Feature, dep.Level, mv)
			} else {
				fmt.Fprintf(w, "    %s=%d\n", dep.Feature, dep.Level)
			}
		}
	}
	return nil
}
