package kafkaver

// FeatureLevel is one level of a feature (a FeatureVersion constant): the
// metadata.version from which a new cluster gets it by default
// (bootstrapMetadataVersion) and the levels of other features it needs.
type FeatureLevel struct {
	Level     int16
	Bootstrap int16 // metadata.version level
	Deps      []Dependency
}

// Dependency is one entry of FeatureVersion.dependencies.
type Dependency struct {
	Feature string
	Level   int16
}

// Feature is one of Kafka 4.1's features (Feature.java).
type Feature struct {
	Name             string
	Levels           []FeatureLevel
	LatestProduction int16
}

// Features is Kafka 4.1's Feature.PRODUCTION_FEATURES, in its order.
var Features = []Feature{
	{KRaftVersionName, []FeatureLevel{{0, Minimum, nil}, {1, 21, []Dependency{{MetadataVersionName, 21}}}}, 1},
	{"transaction.version", []FeatureLevel{{0, Minimum, nil}, {1, 24, nil}, {2, 24, nil}}, 2},
	{"group.version", []FeatureLevel{{0, Minimum, nil}, {1, 22, nil}}, 1},
	{"eligible.leader.replicas.version", []FeatureLevel{{0, Minimum, nil}, {1, 26, []Dependency{{MetadataVersionName, 23}}}}, 1},
	{"share.version", []FeatureLevel{{0, Minimum, nil}, {1, 28, nil}}, 1}, // no dependency since KAFKA-16894
	{"streams.version", []FeatureLevel{{0, Minimum, nil}, {1, 29, nil}}, 0},
}

// FeatureByName is Features' entry for name.
func FeatureByName(name string) (Feature, bool) {
	for _, f := range Features {
		if f.Name == name {
			return f, true
		}
	}
	return Feature{}, false
}

// DefaultLevel is Feature.defaultLevel: the last level whose bootstrap
// metadata.version is at most mv.
func (f Feature) DefaultLevel(mv int16) int16 {
	level := f.Levels[0].Level
	for _, l := range f.Levels {
		if l.Bootstrap > mv {
			break
		}
		level = l.Level
	}
	return level
}

// Level is Feature.fromFeatureLevel: the level, if f has it and it is
// production or unstable levels are allowed.
func (f Feature) Level(level int16, unstable bool) (FeatureLevel, bool) {
	for _, l := range f.Levels {
		if l.Level == level && (unstable || level <= f.LatestProduction) {
			return l, true
		}
	}
	return FeatureLevel{}, false
}
