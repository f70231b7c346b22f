package server

// Finalized features (KIP-584, KIP-778, KIP-1022): the levels of the
// cluster-wide features that UpdateFeatures changes and ApiVersions v3+
// reports.
//
// Strata has no metadata log yet, so the finalized levels live in the first
// log dir as finalized_features.json, replaced atomically (temp, fsync,
// rename, fsync dir) before a change is answered:
//
//	{"version": 1, "epoch": 2, "features": {"metadata.version": 27}}
//
// A feature at level 0 is not finalized (Kafka's FeatureControlManager
// removes it), so the map holds only levels above 0. The epoch stands for
// Kafka's metadata offset of the last feature change: 1 when the file is
// first written, one more for each applied UpdateFeatures. When the
// cluster's metadata log arrives, these become FeatureLevelRecords.
//
// Supported ranges (what this build can run, internal/kafkaver's
// Supported) are honest: a level is supported only when Strata implements
// what it implies. metadata.version spans Kafka 4.1's levels, 3.3-IV3 (7)
// to 4.1-IV1 (27); a single node has no metadata log and no inter-broker
// protocol, which is all a metadata.version governs, so every level serves
// it equally. transaction.version is supported up to 2: level 1 makes
// the transaction coordinator write flexible (version 1)
// __transaction_state values (txn/); level 2 is KIP-890 part 2 (EndTxn v5
// bumps the epoch per transaction; Produce v12+ and TxnOffsetCommit v5+
// add their partition to the transaction: end_txn.go,
// txn_implicit_add.go). The other
// features Kafka 4.1 knows (group.version: the KIP-848 protocol; share.version: KIP-932;
// eligible.leader.replicas.version: KIP-966; kraft.version: KIP-853;
// streams.version: KIP-1071) are supported at level 0 only, and, as
// Kafka's BrokerFeatures does for a feature whose highest level is 0, they
// are not listed among the supported features.
//
// A fresh log dir finalizes what Kafka 4.1's `kafka-storage format`
// finalizes, within those ranges: metadata.version 4.1-IV1 (27); every
// other feature's default for 4.1-IV1 is above what Strata supports, so it
// stays at 0 — except transaction.version, whose default 2 Strata now
// supports but a fresh log dir still leaves at 0 (`strata storage format`
// finalizes 2, as Kafka's does); finalize it with UpdateFeatures.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/internal/javahash"
	"github.com/stratabroker/strata/internal/kafkaver"
	"github.com/stratabroker/strata/internal/metaprops"
)

const featuresFile = "finalized_features.json"

// metadataVersionName is the feature the broker treats specially (Kafka's
// tables and the supported ranges are in internal/kafkaver).
const metadataVersionName = kafkaver.MetadataVersionName

// defaultFinalized is what a fresh log dir finalizes.
var defaultFinalized = map[string]int16{metadataVersionName: kafkaver.LatestProduction}

// Upgrade types of UpdateFeatures v1+ (FeatureUpdate.UpgradeType).
const (
	upgradeUpgrade         int8 = 1
	upgradeSafeDowngrade   int8 = 2
	upgradeUnsafeDowngrade int8 = 3
)

// finalized is one immutable view of the finalized features.
type finalized struct {
	levels map[string]int16 // levels above 0, metadata.version included
	epoch  int64
}

// featureState is the server's finalized features.
type featureState struct {
	mu  sync.Mutex // serialises updates: the check, the file and the swap
	cur atomic.Pointer[finalized]
}

type featuresFileData struct {
	Version  int              `json:"version"`
	Epoch    int64            `json:"epoch"`
	Features map[string]int16 `json:"features"`
}

// loadFeatures reads finalized_features.json, writing the levels of
// strata.bootstrap.properties (written by `strata storage format`) or the
// defaults of a fresh log dir when it does not exist. A file with a level this build
// does not support is refused, as Kafka refuses to start with finalized
// features its software does not support.
func (s *Server) loadFeatures() error {
	path := filepath.Join(s.dataDir, featuresFile)
	data, err := readSmall(s.fs, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f := &finalized{levels: maps.Clone(defaultFinalized), epoch: 1}
		// A dir formatted by `strata storage format` names the levels to
		// start with (--release-version, --feature), as Kafka's
		// bootstrap.checkpoint does.
		boot, berr := metaprops.ReadBootstrap(s.fs, s.dataDir)
		switch {
		case berr == nil:
			f.levels = map[string]int16{}
			for name, level := range boot.Features {
				min, max, _ := kafkaver.SupportedRange(name)
				if level < min || level > max {
					return fmt.Errorf("%w: %s finalizes %s at level %d, which this broker does not support (%d-%d)",
						ErrMeta, filepath.Join(s.dataDir, metaprops.BootstrapFile), name, level, min, max)
				}
				if level > 0 {
					f.levels[name] = level
				}
			}
			if f.levels[metadataVersionName] == 0 {
				return fmt.Errorf("%w: %s finalizes no metadata.version", ErrMeta, filepath.Join(s.dataDir, metaprops.BootstrapFile))
			}
		case !errors.Is(berr, fs.ErrNotExist):
			return fmt.Errorf("server: %w", berr)
		}
		if err := s.writeFeatures(f); err != nil {
			return err
		}
		s.features.cur.Store(f)
		return nil
	case err != nil:
		return fmt.Errorf("server: %w", err)
	}
	var d featuresFileData
	if err := json.Unmarshal(data, &d); err != nil || d.Version != 1 {
		return fmt.Errorf("%w: %s: version %d, %v", ErrMeta, featuresFile, d.Version, err)
	}
	f := &finalized{levels: map[string]int16{}, epoch: d.Epoch}
	for name, level := range d.Features {
		min, max, _ := kafkaver.SupportedRange(name)
		if level < min || level > max {
			return fmt.Errorf("%w: %s finalizes %s at level %d, which this broker does not support (%d-%d)", ErrMeta, path, name, level, min, max)
		}
		if level > 0 {
			f.levels[name] = level
		}
	}
	if f.levels[metadataVersionName] == 0 {
		return fmt.Errorf("%w: %s finalizes no metadata.version", ErrMeta, path)
	}
	s.features.cur.Store(f)
	return nil
}

func (s *Server) writeFeatures(f *finalized) error {
	data, err := json.MarshalIndent(featuresFileData{Version: 1, Epoch: f.epoch, Features: f.levels}, "", "  ")
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return writeAtomic(s.fs, s.dataDir, featuresFile, append(data, '\n'))
}

// featureUpdate is one requested change.
type featureUpdate struct {
	name        string
	level       int16
	upgradeType int8
}

// updateFeatures checks every update against the finalized levels as
// Kafka's FeatureControlManager does and, unless validateOnly, applies
// them all and persists them. The first refused update fails them all; its
// error is returned (INVALID_UPDATE_VERSION with Kafka's message).
func (s *Server) updateFeatures(updates []featureUpdate, validateOnly bool) error {
	s.features.mu.Lock()
	defer s.features.mu.Unlock()
	cur := s.features.cur.Load()
	// Like Kafka's controller, the updates become a map (the last of a
	// name wins) checked in java.util.HashMap's order.
	want := map[string]featureUpdate{}
	var names []string
	for _, u := range updates {
		if _, ok := want[u.name]; !ok {
			names = append(names, u.name)
		}
		want[u.name] = u
	}
	for _, name := range javahash.Order(names) {
		if err := checkFeatureUpdate(cur, want[name], s.cfg.NodeID); err != nil {
			return err
		}
	}
	if validateOnly || len(want) == 0 {
		return nil
	}
	next := &finalized{levels: maps.Clone(cur.levels), epoch: cur.epoch + 1}
	for name, u := range want {
		if u.level == 0 {
			delete(next.levels, name)
		} else {
			next.levels[name] = u.level
		}
	}
	if err := s.writeFeatures(next); err != nil {
		return err
	}
	s.features.cur.Store(next)
	s.log.Info("updated finalized features", "features", sortedLevels(next.levels), "epoch", next.epoch)
	return nil
}

// checkFeatureUpdate is FeatureControlManager.updateFeature's checks.
func checkFeatureUpdate(cur *finalized, u featureUpdate, nodeID int32) error {
	invalid := func(msg string) error {
		return kerrf(kerr.InvalidUpdateVersion, "Invalid update version %d for feature %s. %s", u.level, u.name, msg)
	}
	if u.upgradeType < upgradeUpgrade || u.upgradeType > upgradeUnsafeDowngrade {
		return invalid("The controller does not support the given upgrade type.")
	}
	current := cur.levels[u.name]
	if u.level < 0 {
		return invalid("A feature version cannot be less than 0.")
	}
	min, max, known := kafkaver.SupportedRange(u.name)
	if u.level < min || u.level > max {
		what := "Local controller " + strconv.Itoa(int(nodeID))
		if max == 0 {
			return invalid(what + " does not support this feature.")
		}
		return invalid(what + " only supports versions " + versionRange(min, max))
	}
	switch {
	case u.level < current && u.upgradeType == upgradeUpgrade:
		return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.")
	case u.level > current && u.upgradeType != upgradeUpgrade:
		return invalid("Can't downgrade to a newer version.")
	}
	if u.name == metadataVersionName {
		if u.level < current && kafkaver.MetadataChanged(u.level, current) {
			msg := "Refusing to perform the requested downgrade because it might delete metadata information."
			if u.upgradeType == upgradeUnsafeDowngrade {
				msg = "Unsafe metadata downgrade is not supported in this version."
			}
			return kerrf(kerr.InvalidUpdateVersion, "Invalid metadata.version %d. %s", u.level, msg)
		}
		return nil
	}
	if !known {
		// Features.featureFromName, reached only at level 0 (any other
		// level of an unknown feature is out of its 0-0 range).
		return invalid("Feature " + u.name + " not found.")
	}
	return nil
}

// versionRange is Kafka's VersionRange.toString.
func versionRange(min, max int16) string {
	if min == max {
		return strconv.Itoa(int(min))
	}
	return strconv.Itoa(int(min)) + "-" + strconv.Itoa(int(max))
}

func sortedLevels(m map[string]int16) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+strconv.Itoa(int(m[k])))
	}
	return out
}

// finalizedLevel is feature name's finalized level (0: not finalized).
func (s *Server) finalizedLevel(name string) int16 {
	if f := s.features.cur.Load(); f != nil {
		return f.levels[name]
	}
	return 0
}
