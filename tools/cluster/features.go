package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/kafkaver"
	"github.com/stratabroker/strata/tools/cli"
)

const featuresUsage = `Usage: strata features (--bootstrap-server H:P | --bootstrap-controller H:P)
         [--command-config FILE] COMMAND [options]
This tool manages feature flags in Kafka (kafka-features.sh).

Commands:
  describe               Describes the current active feature flags.
  upgrade                Upgrade one or more feature flags.
      --release-version V  the release version to update all features to
                           (3.9-IV0 sets metadata.version=21 and kraft.version=1)
      --feature NAME=LEVEL a feature upgrade (repeatable), e.g. metadata.version=5
      --metadata V         DEPRECATED: the metadata.version to upgrade to
      --dry-run            validate this upgrade, but do not perform it
  downgrade              Downgrade one or more feature flags.
      --release-version V, --feature NAME=LEVEL, --metadata V, --dry-run as upgrade
      --unsafe             perform this downgrade even if it may destroy metadata
  disable                Disable one or more feature flags (downgrade to 0).
      --feature NAME       a feature flag to disable (repeatable)
      --unsafe, --dry-run
  version-mapping        The features a release version sets.
      --release-version V  default: the latest stable metadata version (4.1-IV1)
  feature-dependencies   The dependencies of feature versions.
      --feature NAME=LEVEL required, repeatable

Options:
  --bootstrap-server H:P      the Kafka cluster to connect to
  --bootstrap-controller H:P  the KRaft controllers to connect to
  --command-config FILE       Admin client properties
`

// Upgrade types of UpdateFeatures (FeatureUpdate.UpgradeType).
const (
	upgradeUpgrade         int8 = 1
	upgradeSafeDowngrade   int8 = 2
	upgradeUnsafeDowngrade int8 = 3
)

func runFeatures(args []string, e *cli.Env) int {
	sub, rest := splitSubcommand(args, map[string]bool{"dry-run": true, "unsafe": true, "help": true, "h": true})
	f := cli.NewFlags("features", featuresUsage)
	ep := declareEndpoints(f, false)
	cf := f.CommandConfig()
	release := f.String("release-version", "", "")
	metadata := f.String("metadata", "", "")
	var feats cli.Strs
	f.Var(&feats, "feature", "")
	dryRun := f.Bool("dry-run", false, "")
	unsafe := f.Bool("unsafe", false, "")
	if ok, code := f.Parse(rest, e); !ok {
		return code
	}
	allowed := map[string][]string{
		"describe":             nil,
		"upgrade":              {"release-version", "metadata", "feature", "dry-run"},
		"downgrade":            {"release-version", "metadata", "feature", "dry-run", "unsafe"},
		"disable":              {"feature", "dry-run", "unsafe"},
		"version-mapping":      {"release-version"},
		"feature-dependencies": {"feature"},
	}
	own, known := allowed[sub]
	switch {
	case sub == "":
		return f.UsageError(e, "a command is required: describe, upgrade, downgrade, disable, version-mapping or feature-dependencies")
	case !known:
		return f.UsageError(e, "invalid command %q (choose from describe, upgrade, downgrade, disable, version-mapping, feature-dependencies)", sub)
	}
	for _, name := range []string{"release-version", "metadata", "feature", "dry-run", "unsafe"} {
		if f.IsSet(name) && !slices.Contains(own, name) {
			return f.UsageError(e, "unrecognized argument --%s for %s", name, sub)
		}
	}
	if code := ep.check(f, e); code != cli.ExitOK {
		return code
	}
	opts, code := cf.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	switch sub {
	case "version-mapping":
		return versionMapping(e, *release)
	case "feature-dependencies":
		if len(feats) == 0 {
			return f.UsageError(e, "argument --feature is required")
		}
		return featureDependencies(e, feats)
	}

	ctx, cancel := e.Context()
	defer cancel()
	var updates map[string]featureUpdate
	var err error
	op := sub
	switch sub {
	case "upgrade":
		updates, err = upgradeOrDowngrade(e, *release, *metadata, feats, upgradeUpgrade)
	case "downgrade":
		updates, err = upgradeOrDowngrade(e, *release, *metadata, feats, downgradeType(*unsafe))
	case "disable":
		updates, err = disable(feats, downgradeType(*unsafe))
	}
	if err != nil {
		return fail(e, "features", err)
	}
	if sub != "describe" && len(updates) == 0 {
		return fail(e, "features", fmt.Errorf("You must specify at least one feature to %s", op))
	}
	n, err := connect(ctx, e, ep, opts)
	if err != nil {
		return fail(e, "features", err)
	}
	defer n.Close()
	if sub == "describe" {
		if err := describeFeatures(ctx, e, n); err != nil {
			return fail(e, "features", err)
		}
		return cli.ExitOK
	}
	return updateFeatures(ctx, e, n, op, updates, *dryRun)
}

func downgradeType(unsafe bool) int8 {
	if unsafe {
		return upgradeUnsafeDowngrade
	}
	return upgradeSafeDowngrade
}

// describeFeatures is FeatureCommand.handleDescribe over an ApiVersions
// answer, as Admin.describeFeatures asks.
func describeFeatures(ctx context.Context, e *cli.Env, n *node) error {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "strata", "1"
	kresp, err := n.request(ctx, e, req)
	if err != nil {
		return err
	}
	resp := kresp.(*kmsg.ApiVersionsResponse)
	if err := responseErr(resp.ErrorCode, nil); err != nil {
		return err
	}
	finalized := map[string]int16{}
	for _, ff := range resp.FinalizedFeatures {
		finalized[ff.Name] = ff.MaxVersionLevel
	}
	epoch := "-"
	if resp.FinalizedFeaturesEpoch >= 0 {
		epoch = strconv.FormatInt(resp.FinalizedFeaturesEpoch, 10)
	}
	sf := slices.Clone(resp.SupportedFeatures)
	slices.SortFunc(sf, func(a, b kmsg.ApiVersionsResponseSupportedFeature) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range sf {
		fmt.Fprintf(e.Stdout, "Feature: %s\tSupportedMinVersion: %s\tSupportedMaxVersion: %s\tFinalizedVersionLevel: %s\tEpoch: %s\n",
			s.Name, levelToString(s.Name, s.MinVersion), levelToString(s.Name, s.MaxVersion), levelToString(s.Name, finalized[s.Name]), epoch)
	}
	return nil
}

type featureUpdate struct {
	level       int16
	upgradeType int8
}

// parseNameAndLevel is FeatureCommand.parseNameAndLevel.
func parseNameAndLevel(input string) (string, int16, error) {
	name, levelString, ok := strings.Cut(input, "=")
	if !ok {
		return "", 0, fmt.Errorf("Can't parse feature=level string %s: equals sign not found.", input)
	}
	levelString = strings.TrimSpace(levelString)
	level, err := strconv.ParseInt(levelString, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("Can't parse feature=level string %s: unable to parse %s as a short.", input, levelString)
	}
	return strings.TrimSpace(name), int16(level), nil
}

// upgradeOrDowngrade is FeatureCommand.handleUpgradeOrDowngrade's
// requested updates.
func upgradeOrDowngrade(e *cli.Env, release, metadata string, feats []string, upgradeType int8) (map[string]featureUpdate, error) {
	if release != "" && (metadata != "" || len(feats) > 0) {
		return nil, errors.New("Can not specify `release-version` with other feature flags.")
	}
	updates := map[string]featureUpdate{}
	unknown := func(v string) error {
		return fmt.Errorf("Unknown metadata.version %s. Supported metadata.version are %s", v, metadataVersionsToString())
	}
	if release != "" {
		mv, ok := metadataVersionFromString(release)
		if !ok {
			return nil, unknown(release)
		}
		updates[metadataVersionName] = featureUpdate{mv.Level, upgradeType}
		for _, f := range kafkaver.Features {
			// Don't send a request to upgrade a feature to 0.
			if level := f.DefaultLevel(mv.Level); upgradeType != upgradeUpgrade || level > 0 {
				updates[f.Name] = featureUpdate{level, upgradeType}
			}
		}
		return updates, nil
	}
	if metadata != "" {
		fmt.Fprintln(e.Stdout, " `metadata` flag is deprecated and may be removed in a future release.")
		mv, ok := metadataVersionFromString(metadata)
		if !ok {
			return nil, unknown(metadata)
		}
		updates[metadataVersionName] = featureUpdate{mv.Level, upgradeType}
	}
	for _, feat := range feats {
		name, level, err := parseNameAndLevel(feat)
		if err != nil {
			return nil, err
		}
		if _, dup := updates[name]; dup {
			return nil, fmt.Errorf("Feature %s was specified more than once.", name)
		}
		updates[name] = featureUpdate{level, upgradeType}
	}
	return updates, nil
}

// disable is FeatureCommand.handleDisable's requested updates.
func disable(feats []string, upgradeType int8) (map[string]featureUpdate, error) {
	updates := map[string]featureUpdate{}
	for _, name := range feats {
		if _, dup := updates[name]; dup {
			return nil, fmt.Errorf("Feature %s was specified more than once.", name)
		}
		updates[name] = featureUpdate{0, upgradeType}
	}
	return updates, nil
}

// updateFeatures sends one UpdateFeatures request and prints a line per
// feature, in name order, as FeatureCommand.update does.
func updateFeatures(ctx context.Context, e *cli.Env, n *node, op string, updates map[string]featureUpdate, dryRun bool) int {
	req := kmsg.NewPtrUpdateFeaturesRequest()
	req.TimeoutMillis = int32(e.OpTimeout / time.Millisecond)
	req.ValidateOnly = dryRun
	names := slices.Sorted(maps.Keys(updates))
	for _, name := range names {
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType = name, updates[name].level, updates[name].upgradeType
		u.AllowDowngrade = updates[name].upgradeType != upgradeUpgrade
		req.FeatureUpdates = append(req.FeatureUpdates, u)
	}
	errs := map[string]error{}
	kresp, err := n.request(ctx, e, req)
	if err != nil {
		for _, name := range names {
			errs[name] = err
		}
	} else {
		resp := kresp.(*kmsg.UpdateFeaturesResponse)
		if top := responseErr(resp.ErrorCode, resp.ErrorMessage); top != nil {
			for _, name := range names {
				errs[name] = top
			}
		}
		for _, r := range resp.Results {
			if err := responseErr(r.ErrorCode, r.ErrorMessage); err != nil && errs[r.Feature] == nil {
				errs[r.Feature] = err
			}
		}
	}
	failures := 0
	for _, name := range names {
		level := updates[name].level
		if err := errs[name]; err != nil {
			helper := "Could not "
			if dryRun {
				helper = "Can not "
			}
			suffix := op + " " + name + " to " + strconv.Itoa(int(level))
			if op == "disable" {
				suffix = "disable " + name
			}
			fmt.Fprintf(e.Stdout, "%s%s. %s\n", helper, suffix, errText(err))
			failures++
			continue
		}
		verb := " was "
		if dryRun {
			verb = " can be "
		}
		obj := op + "d to " + strconv.Itoa(int(level)) + "."
		if op == "disable" {
			obj = "disabled."
		}
		fmt.Fprintln(e.Stdout, name+verb+obj)
	}
	if failures > 0 {
		return fail(e, "features", fmt.Errorf("%d out of %d operation(s) failed.", failures, len(updates)))
	}
	return cli.ExitOK
}

// versionMapping is FeatureCommand.handleVersionMapping.
func versionMapping(e *cli.Env, release string) int {
	if release == "" {
		release = kafkaver.MustLevel(kafkaver.LatestProduction).String()
	}
	mv, ok := metadataVersionFromString(release)
	if !ok {
		return fail(e, "features", fmt.Errorf("Unknown release version '%s'. Supported versions are: %s to %s", release,
			kafkaver.MustLevel(kafkaver.Minimum), kafkaver.MustLevel(kafkaver.LatestProduction)))
	}
	fmt.Fprintf(e.Stdout, "metadata.version=%d (%s)\n", mv.Level, release)
	for _, f := range kafkaver.Features {
		fmt.Fprintf(e.Stdout, "%s=%d\n", f.Name, f.DefaultLevel(mv.Level))
	}
	return cli.ExitOK
}

// featureDependencies is FeatureCommand.handleFeatureDependencies.
func featureDependencies(e *cli.Env, feats []string) int {
	for _, feat := range feats {
		name, level, err := parseNameAndLevel(feat)
		if err != nil {
			return fail(e, "features", err)
		}
		if name == metadataVersionName {
			mv, ok := kafkaver.ByLevel(level)
			if !ok {
				return fail(e, "features", fmt.Errorf("Unknown metadata.version %d", level))
			}
			fmt.Fprintf(e.Stdout, "%s=%d (%s) has no dependencies.\n", name, level, mv)
			continue
		}
		f, ok := kafkaver.FeatureByName(name)
		if !ok {
			return fail(e, "features", fmt.Errorf("Unknown feature: %s", name))
		}
		v, ok := f.Level(level, true)
		if !ok {
			return fail(e, "features", fmt.Errorf("No feature:%s with feature level %d", name, level))
		}
		if len(v.Deps) == 0 {
			fmt.Fprintf(e.Stdout, "%s=%d has no dependencies.\n", name, level)
			continue
		}
		fmt.Fprintf(e.Stdout, "%s=%d requires:\n", name, level)
		for _, d := range v.Deps {
			if d.Feature == metadataVersionName {
				mv, _ := kafkaver.ByLevel(d.Level)
				fmt.Fprintf(e.Stdout, "    %s=%d (%s)\n", d.Feature, d.Level, mv)
			} else {
				fmt.Fprintf(e.Stdout, "    %s=%d\n", d.Feature, d.Level)
			}
		}
	}
	return cli.ExitOK
}
