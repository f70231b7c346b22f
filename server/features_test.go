package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

// apiVersionsFeatures asks s for ApiVersions at version and returns its
// feature fields as "name min max" strings and the epoch.
func apiVersionsFeatures(t *testing.T, rc *rawClient, version int16) (supported, fin []string, epoch int64) {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = version
	req.ClientSoftwareName, req.ClientSoftwareVersion = "strata-test", "1.0"
	resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
	if resp.ErrorCode != 0 {
		t.Fatalf("ApiVersions v%d: error %d", version, resp.ErrorCode)
	}
	for _, f := range resp.SupportedFeatures {
		supported = append(supported, fmt.Sprint(f.Name, " ", f.MinVersion, " ", f.MaxVersion))
	}
	for _, f := range resp.FinalizedFeatures {
		fin = append(fin, fmt.Sprint(f.Name, " ", f.MinVersionLevel, " ", f.MaxVersionLevel))
	}
	return supported, fin, resp.FinalizedFeaturesEpoch
}

// TestApiVersionsFeatures: ApiVersions v3+ reports metadata.version 7-27
// and transaction.version 0-2 as supported (the features Strata supports only at level 0 are left out,
// as Kafka's BrokerFeatures leaves out a feature whose highest level is 0)
// and a fresh broker's finalized metadata.version 27 (4.1-IV1) at epoch 1.
func TestApiVersionsFeatures(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	for _, v := range []int16{3, 4} {
		sup, fin, epoch := apiVersionsFeatures(t, rc, v)
		want := []string{"metadata.version 7 27", "transaction.version 0 2"}
		if v < 4 { // a 0 minimum is left out below v4 (api_versions.go)
			want = want[:1]
		}
		if !reflect.DeepEqual(sup, want) {
			t.Errorf("v%d supported %q, want %q", v, sup, want)
		}
		if want := []string{"metadata.version 27 27"}; !reflect.DeepEqual(fin, want) || epoch != 1 {
			t.Errorf("v%d finalized %q epoch %d, want %q epoch 1", v, fin, epoch, want)
		}
	}
}

// updateFeatures sends one UpdateFeatures request at version.
func updateFeatures(t *testing.T, rc *rawClient, version int16, validateOnly bool, updates ...kmsg.UpdateFeaturesRequestFeatureUpdate) *kmsg.UpdateFeaturesResponse {
	t.Helper()
	req := kmsg.NewPtrUpdateFeaturesRequest()
	req.Version = version
	req.TimeoutMillis = 30000
	req.ValidateOnly = validateOnly
	req.FeatureUpdates = updates
	return rc.roundTrip(req).(*kmsg.UpdateFeaturesResponse)
}

func fupdate(name string, level int16, upgradeType int8) kmsg.UpdateFeaturesRequestFeatureUpdate {
	u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
	u.Feature, u.MaxVersionLevel, u.UpgradeType = name, level, upgradeType
	return u
}

const allFail = "The update failed for all features since the following feature had an error: "

// TestUpdateFeaturesRefused: each refusal of Kafka's FeatureControlManager,
// with its exact message, as the v2 top-level error with no per-feature
// results; nothing changes.
func TestUpdateFeaturesRefused(t *testing.T) {
	s := startServer(t, "node.id", "3")
	rc := dialRaw(t, s)
	cases := []struct {
		name    string
		updates []kmsg.UpdateFeaturesRequestFeatureUpdate
		msg     string
	}{
		{"unknown upgrade type", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 26, 4)},
			"Invalid update version 26 for feature metadata.version. The controller does not support the given upgrade type."},
		{"negative level", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("group.version", -1, 1)},
			"Invalid update version -1 for feature group.version. A feature version cannot be less than 0."},
		{"above metadata.version's range", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 28, 1)},
			"Invalid update version 28 for feature metadata.version. Local controller 3 only supports versions 7-27"},
		{"disable metadata.version", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 0, 2)},
			"Invalid update version 0 for feature metadata.version. Local controller 3 only supports versions 7-27"},
		{"a level Strata does not implement", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("transaction.version", 3, 1)},
			"Invalid update version 3 for feature transaction.version. Local controller 3 only supports versions 0-2"},
		{"the KIP-848 protocol", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("group.version", 1, 1)},
			"Invalid update version 1 for feature group.version. Local controller 3 does not support this feature."},
		{"an unknown feature", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("foo.bar", 1, 1)},
			"Invalid update version 1 for feature foo.bar. Local controller 3 does not support this feature."},
		{"an unknown feature at 0", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("foo.bar", 0, 2)},
			"Invalid update version 0 for feature foo.bar. Feature foo.bar not found."},
		{"downgrade as an upgrade", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 26, 1)},
			"Invalid update version 26 for feature metadata.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade."},
		{"downgrade to a newer version", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 27, 1), fupdate("share.version", 0, 1), fupdate("eligible.leader.replicas.version", 0, 2)},
			""}, // succeeds: a level equal to the current one is no downgrade
		{"lossy downgrade", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 22, 2)},
			"Invalid metadata.version 22. Refusing to perform the requested downgrade because it might delete metadata information."},
		{"unsafe downgrade", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 22, 3)},
			"Invalid metadata.version 22. Unsafe metadata downgrade is not supported in this version."},
		// java.util.HashMap order: group.version comes before
		// metadata.version, so its error is the one reported.
		{"the first in Kafka's order fails all", []kmsg.UpdateFeaturesRequestFeatureUpdate{fupdate("metadata.version", 22, 2), fupdate("group.version", 1, 1)},
			"Invalid update version 1 for feature group.version. Local controller 3 does not support this feature."},
	}
	for _, c := range cases {
		for _, validateOnly := range []bool{false, true} {
			resp := updateFeatures(t, rc, 2, validateOnly, c.updates...)
			if c.msg == "" {
				if resp.ErrorCode != 0 || resp.ErrorMessage != nil || len(resp.Results) != 0 {
					t.Errorf("%s: error %d %v results %v, want success", c.name, resp.ErrorCode, resp.ErrorMessage, resp.Results)
				}
				continue
			}
			if resp.ErrorCode != kerr.InvalidUpdateVersion.Code || resp.ErrorMessage == nil || *resp.ErrorMessage != allFail+c.msg || len(resp.Results) != 0 {
				got := "<nil>"
				if resp.ErrorMessage != nil {
					got = *resp.ErrorMessage
				}
				t.Errorf("%s (validate only %v): error %d %q results %d\nwant %d %q", c.name, validateOnly, resp.ErrorCode, got, len(resp.Results), kerr.InvalidUpdateVersion.Code, allFail+c.msg)
			}
		}
	}
	_, fin, epoch := apiVersionsFeatures(t, rc, 3)
	if want := []string{"metadata.version 27 27"}; !reflect.DeepEqual(fin, want) || epoch != 2 {
		t.Fatalf("after the refusals: finalized %q epoch %d, want %q epoch 2 (one applied no-op update)", fin, epoch, want)
	}
}

// TestUpdateFeaturesApplied: a safe downgrade of metadata.version across
// levels that changed no metadata is applied, answered per feature at v1
// (ErrorMessage "NONE", as Kafka's Errors.NONE.message()) and not at v2;
// validate-only changes nothing; v0's AllowDowngrade is ignored, as Kafka's
// controller ignores it; the levels and epoch survive a restart.
func TestUpdateFeaturesApplied(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir, Options{})
	rc := dialRaw(t, s)

	resp := updateFeatures(t, rc, 1, true, fupdate("metadata.version", 24, 2))
	if resp.ErrorCode != 0 || len(resp.Results) != 1 || resp.Results[0].Feature != "metadata.version" || resp.Results[0].ErrorCode != 0 || *resp.Results[0].ErrorMessage != "NONE" {
		t.Fatalf("validate-only v1: %+v", resp)
	}
	if _, fin, epoch := apiVersionsFeatures(t, rc, 3); !reflect.DeepEqual(fin, []string{"metadata.version 27 27"}) || epoch != 1 {
		t.Fatalf("after validate-only: %q epoch %d", fin, epoch)
	}

	v0 := fupdate("metadata.version", 26, 0)
	v0.AllowDowngrade = true
	resp = updateFeatures(t, rc, 0, false, v0)
	if resp.ErrorCode != kerr.InvalidUpdateVersion.Code || len(resp.Results) != 0 {
		t.Fatalf("v0 downgrade: %+v, want INVALID_UPDATE_VERSION", resp)
	}

	resp = updateFeatures(t, rc, 2, false, fupdate("metadata.version", 24, 2), fupdate("share.version", 0, 2))
	if resp.ErrorCode != 0 || resp.ErrorMessage != nil || len(resp.Results) != 0 {
		t.Fatalf("v2 downgrade: %+v", resp)
	}
	if _, fin, epoch := apiVersionsFeatures(t, rc, 3); !reflect.DeepEqual(fin, []string{"metadata.version 24 24"}) || epoch != 2 {
		t.Fatalf("after the downgrade: %q epoch %d", fin, epoch)
	}
	resp = updateFeatures(t, rc, 1, false, fupdate("metadata.version", 27, 1))
	if resp.ErrorCode != 0 || len(resp.Results) != 1 {
		t.Fatalf("upgrade: %+v", resp)
	}
	resp = updateFeatures(t, rc, 1, false, fupdate("metadata.version", 25, 2))
	if resp.ErrorCode != 0 {
		t.Fatalf("downgrade to 25: %+v", resp)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, featuresFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"version\": 1,\n  \"epoch\": 4,\n  \"features\": {\n    \"metadata.version\": 25\n  }\n}\n"
	if string(data) != want {
		t.Fatalf("%s:\n%s\nwant\n%s", featuresFile, data, want)
	}
	s = startServerIn(t, dir, Options{})
	rc = dialRaw(t, s)
	if _, fin, epoch := apiVersionsFeatures(t, rc, 3); !reflect.DeepEqual(fin, []string{"metadata.version 25 25"}) || epoch != 4 {
		t.Fatalf("after a restart: %q epoch %d", fin, epoch)
	}
}

// TestFeaturesFileRefused: a finalized level this build does not support,
// or a file that does not parse, stops the start, as Kafka refuses to
// start with finalized features its software does not support.
func TestFeaturesFileRefused(t *testing.T) {
	for _, body := range []string{
		`{"version": 1, "epoch": 3, "features": {"metadata.version": 28}}`,
		`{"version": 1, "epoch": 3, "features": {"metadata.version": 27, "group.version": 1}}`,
		`{"version": 1, "epoch": 3, "features": {}}`,
		`{"version": 2, "epoch": 3, "features": {"metadata.version": 27}}`,
		`{`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, featuresFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if s, err := Start(testConfig(t, dir), Options{}); !errors.Is(err, ErrMeta) {
			if err == nil {
				s.Close()
			}
			t.Errorf("Start with %s: %v, want ErrMeta", body, err)
		}
	}
}

// TestFeaturesCrash: after an applied update and a machine crash (only
// synced bytes kept), the broker starts with the new levels: the file is
// durable before the update is answered.
func TestFeaturesCrash(t *testing.T) {
	mem := vfs.NewMem()
	dir := "/data"
	s, err := Start(testConfig(t, dir), Options{FS: mem})
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	resp := updateFeatures(t, rc, 2, false, fupdate("metadata.version", 24, 2))
	if resp.ErrorCode != 0 {
		t.Fatalf("downgrade: %+v", resp)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServerIn(t, dir, Options{FS: crashed})
	if _, fin, epoch := apiVersionsFeatures(t, dialRaw(t, s2), 3); !reflect.DeepEqual(fin, []string{"metadata.version 24 24"}) || epoch != 2 {
		t.Fatalf("after a crash: %q epoch %d", fin, epoch)
	}
}
