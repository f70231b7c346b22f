package cluster

import (
	"strconv"
	"strings"

	"github.com/stratabroker/strata/internal/kafkaver"
)

// Kafka 4.1's own knowledge of metadata.version levels and feature versions
// (internal/kafkaver), which kafka-features.sh prints from without asking a
// broker: levelToString, version-mapping, feature-dependencies and
// --release-version.

const metadataVersionName = kafkaver.MetadataVersionName

// metadataVersionFromString is MetadataVersion.fromVersionString as
// kafka-features.sh reaches it: a release names its last level, unstable
// ones included.
func metadataVersionFromString(s string) (kafkaver.MetadataVersion, bool) {
	return kafkaver.FromVersionString(s, true)
}

// levelToString is FeatureCommand.levelToString.
func levelToString(feature string, level int16) string {
	if feature == metadataVersionName {
		if mv, ok := kafkaver.ByLevel(level); ok {
			return mv.String()
		}
		return "UNKNOWN " + strconv.Itoa(int(level))
	}
	return strconv.Itoa(int(level))
}

// metadataVersionsToString is FeatureCommand.metadataVersionsToString over
// Kafka 4.1's supported range.
func metadataVersionsToString() string {
	var names []string
	for _, mv := range kafkaver.MetadataVersions {
		if !mv.Production() {
			break
		}
		names = append(names, mv.String())
	}
	return strings.Join(names, ", ")
}
