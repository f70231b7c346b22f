package kafkaver

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestMetadataVersions: the levels run 7 (3.3-IV3) to 29 (4.2-IV1) without
// a gap, 27 is 4.1-IV1, and only 4.2's are beyond production.
func TestMetadataVersions(t *testing.T) {
	for i, m := range MetadataVersions {
		if m.Level != Minimum+int16(i) {
			t.Fatalf("level %d at index %d", m.Level, i)
		}
		if m.Production() != (m.Level <= 27) {
			t.Errorf("%s production %v", m, m.Production())
		}
	}
	if got := MustLevel(Minimum).String() + " " + MustLevel(LatestProduction).String() + " " + Latest().String(); got != "3.3-IV3 4.1-IV1 4.2-IV1" {
		t.Fatalf("minimum, latest production, latest: %s", got)
	}
	if _, ok := ByLevel(6); ok {
		t.Fatal("level 6 found")
	}
}

// TestFromVersionString: MetadataVersion.fromVersionString, a release
// standing for its last level (its last production level unless unstable).
func TestFromVersionString(t *testing.T) {
	for _, c := range []struct {
		s        string
		unstable bool
		want     string // "" for none
	}{
		{"4.1-IV1", false, "4.1-IV1"},
		{"3.9-IV0", false, "3.9-IV0"},
		{"4.0", false, "4.0-IV3"},
		{"4.0.1", false, "4.0-IV3"},
		{"3.7", true, "3.7-IV4"},
		{"4.2", true, "4.2-IV1"},
		{"4.2", false, ""},
		{"4.2-IV0", false, "4.2-IV0"},
		{"2.8", true, ""},
		{"9.9", false, ""},
		{"4.1-IV9", true, ""},
	} {
		m, ok := FromVersionString(c.s, c.unstable)
		got := ""
		if ok {
			got = m.String()
		}
		if got != c.want {
			t.Errorf("FromVersionString(%q, %v) = %q, want %q", c.s, c.unstable, got, c.want)
		}
	}
}

// TestMetadataChanged: a downgrade from 27 to 23 crosses no level that
// changed the metadata, one to 22 crosses 4.0-IV1 (23).
func TestMetadataChanged(t *testing.T) {
	for _, c := range []struct {
		low, high int16
		want      bool
	}{
		{23, 27, false}, {22, 27, true}, {17, 19, false}, {16, 19, true}, {7, 7, false}, {6, 7, true},
	} {
		if got := MetadataChanged(c.low, c.high); got != c.want {
			t.Errorf("MetadataChanged(%d, %d) = %v", c.low, c.high, got)
		}
	}
}

// TestDefaultLevels: kafka-features.sh version-mapping's lines for 4.1-IV1,
// 4.0-IV3 and 3.9-IV0, and 4.2-IV1's.
func TestDefaultLevels(t *testing.T) {
	for mv, want := range map[int16]string{
		27: "kraft.version=1 transaction.version=2 group.version=1 eligible.leader.replicas.version=1 share.version=0 streams.version=0",
		25: "kraft.version=1 transaction.version=2 group.version=1 eligible.leader.replicas.version=0 share.version=0 streams.version=0",
		21: "kraft.version=1 transaction.version=0 group.version=0 eligible.leader.replicas.version=0 share.version=0 streams.version=0",
		29: "kraft.version=1 transaction.version=2 group.version=1 eligible.leader.replicas.version=1 share.version=1 streams.version=1",
	} {
		var got []string
		for _, f := range Features {
			got = append(got, f.Name+"="+strconv.Itoa(int(f.DefaultLevel(mv))))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("defaults at %d: %s\nwant %s", mv, strings.Join(got, " "), want)
		}
	}
}

// TestFeatureLevel: Feature.fromFeatureLevel, which refuses a level past
// the latest production one unless unstable levels are allowed.
func TestFeatureLevel(t *testing.T) {
	streams, _ := FeatureByName("streams.version")
	if _, ok := streams.Level(1, false); ok {
		t.Error("streams.version 1 is not production in 4.1")
	}
	if _, ok := streams.Level(1, true); !ok {
		t.Error("streams.version 1 unstable not found")
	}
	elr, _ := FeatureByName("eligible.leader.replicas.version")
	if l, ok := elr.Level(1, false); !ok || !slices.Equal(l.Deps, []Dependency{{MetadataVersionName, 23}}) {
		t.Errorf("eligible.leader.replicas.version 1: %v %v", l, ok)
	}
	// Kafka 4.1's GV_1 and SV_1 depend on nothing (KAFKA-16894 for SV_1).
	for _, name := range []string{"group.version", "share.version"} {
		f, _ := FeatureByName(name)
		if l, ok := f.Level(1, false); !ok || len(l.Deps) != 0 {
			t.Errorf("%s 1: %v %v", name, l, ok)
		}
	}
	tv, _ := FeatureByName("transaction.version")
	if _, ok := tv.Level(3, true); ok {
		t.Error("transaction.version 3 found")
	}
	if _, ok := FeatureByName("nope.version"); ok {
		t.Error("nope.version found")
	}
}

// TestSupportedRange: metadata.version 7-27, transaction.version 0-2
// (txn/, KIP-890 part 2), Kafka's other features at 0 only, an unknown feature 0-0 and not
// known; the table is by name.
func TestSupportedRange(t *testing.T) {
	if min, max, ok := SupportedRange(MetadataVersionName); min != 7 || max != 27 || !ok {
		t.Errorf("metadata.version %d-%d %v", min, max, ok)
	}
	if min, max, ok := SupportedRange("transaction.version"); min != 0 || max != 2 || !ok {
		t.Errorf("transaction.version %d-%d %v", min, max, ok)
	}
	for _, f := range Features {
		if f.Name == "transaction.version" {
			continue
		}
		if min, max, ok := SupportedRange(f.Name); min != 0 || max != 0 || !ok {
			t.Errorf("%s %d-%d %v", f.Name, min, max, ok)
		}
	}
	if min, max, ok := SupportedRange("nope.version"); min != 0 || max != 0 || ok {
		t.Errorf("nope.version %d-%d %v", min, max, ok)
	}
	if !slices.IsSortedFunc(Supported, func(a, b SupportedFeature) int { return strings.Compare(a.Name, b.Name) }) || len(Supported) != len(Features)+1 {
		t.Errorf("Supported: %v", Supported)
	}
}
