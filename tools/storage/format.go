package storage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/internal/kafkaver"
	"github.com/stratabroker/strata/internal/metaprops"
	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
)

// formatArgs are the format subcommand's options.
type formatArgs struct {
	clusterID          string
	ignoreFormatted    bool
	releaseVersion     string
	features           []string
	standalone         bool
	noInitial          bool
	initialControllers string
	addScram           []string
}

// voter is one entry of --initial-controllers (DynamicVoter).
type voter struct {
	id    int32
	host  string
	port  int
	dirID metaprops.Uuid
}

// runFormat is StorageTool.runFormatCommand and Formatter.run: it checks
// everything before it writes anything, then formats each directory
// without meta.properties: its meta.properties (version 1, the cluster id,
// node.id, a directory.id) and Strata's bootstrap feature file.
func runFormat(w io.Writer, fsys vfs.FS, c *nodeConfig, a formatArgs, now time.Time) error {
	// --add-scram: the first users, written beside meta.properties in
	// scram-credentials.json, which the broker reads at start.
	scramUsers := scramcred.Users{}
	for _, arg := range a.addScram {
		u, err := parseAddScram(arg)
		if err != nil {
			return err
		}
		if scramUsers[u.name] == nil {
			scramUsers[u.name] = map[string]scramcred.Credential{}
		}
		scramUsers[u.name][u.mechanism] = u.cred
	}
	var mv kafkaver.MetadataVersion
	if a.releaseVersion != "" {
		var err error
		if mv, err = parseReleaseVersion(a.releaseVersion); err != nil {
			return err
		}
	}
	requested := map[string]int16{}
	for _, f := range a.features {
		name, level, err := parseNameAndLevel(f)
		if err != nil {
			return err
		}
		requested[name] = level
	}
	// KIP-853 quorum options (runFormatCommand).
	if c.staticVoters && (a.initialControllers != "" || a.standalone) {
		return errors.New("You cannot specify controller.quorum.voters and format the node with --initial-controllers or --standalone. " +
			"If you want to use dynamic quorum, please remove controller.quorum.voters and specify controller.quorum.bootstrap.servers instead.")
	}
	var voters []voter
	if a.initialControllers != "" {
		var err error
		if voters, err = parseVoters(a.initialControllers); err != nil {
			return err
		}
	}
	if a.standalone {
		if !c.controller() {
			return errors.New("You can only use --standalone on a controller.")
		}
		host, port, ok := c.controllerEndpoint()
		if !ok {
			return errors.New("No controller listeners found.")
		}
		voters = []voter{{id: c.nodeID, host: host, port: port, dirID: metaprops.RandomUuid()}}
	}
	if !a.noInitial && c.controller() && !c.staticVoters && len(voters) == 0 {
		return errors.New("Because controller.quorum.voters is not set on this controller, you must specify one of the following: " +
			"--standalone, --initial-controllers, or --no-initial-controllers.")
	}
	// Formatter.run.
	if c.nodeID < 0 {
		return errors.New("You must specify a valid non-negative node ID.")
	}
	mv, err := effectiveReleaseVersion(mv, a.releaseVersion != "", requested, c.unstable)
	if err != nil {
		return err
	}
	levels, err := effectiveFeatureLevels(mv, requested, c.unstable)
	if err != nil {
		return err
	}
	// Formatter.doFormat.
	dirs := c.directories()
	ens := metaprops.Load(fsys, dirs)
	if err := ens.Verify(a.clusterID, c.nodeID); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), metaprops.ErrBad.Error()+": "))
	}
	if formatted := ens.Dirs(); !a.ignoreFormatted && len(formatted) > 0 {
		return fmt.Errorf("Log directory %s is already formatted. Use --ignore-formatted to ignore this directory and format the others.",
			hashOrder(formatted)[0])
	}
	if len(ens.Errors) > 0 {
		for _, d := range hashOrder(keys(ens.Errors)) {
			fmt.Fprintf(w, "I/O error trying to read log directory %s. Ignoring...\n", d)
		}
		if len(ens.Empty) == 0 && len(ens.Props) == 0 {
			return errors.New("No available log directories to format.")
		}
	}
	if len(ens.Empty) == 0 {
		fmt.Fprintln(w, "All of the log directories are already formatted.")
		return nil
	}
	boot := metaprops.Bootstrap{Features: levels}
	if len(voters) > 0 {
		boot.InitialControllers = votersString(voters)
	}
	kind := map[string]string{}
	props := map[string]metaprops.Props{}
	for _, d := range ens.Empty {
		p := metaprops.Props{Version: metaprops.V1, ClusterID: a.clusterID, HasClusterID: true, NodeID: c.nodeID, HasNodeID: true, HasDirectoryID: true}
		kind[d] = "data directory"
		p.DirectoryID = ens.NewDirectoryID()
		if d == c.metadataLogDir {
			kind[d] = "metadata directory"
			if len(voters) > 0 {
				kind[d] = "dynamic metadata directory"
				if i := slices.IndexFunc(voters, func(v voter) bool { return v.id == c.nodeID }); i >= 0 {
					kind[d] = "dynamic metadata voter directory"
					p.DirectoryID = voters[i].dirID
				}
			}
		}
		ens.Props[d] = p // so the next NewDirectoryID avoids it
		props[d] = p
	}
	for _, d := range hashOrder(ens.Empty) {
		fmt.Fprintf(w, "Formatting %s %s with %s %s.\n", kind[d], d, metadataVersionKey, mv)
		if err := fsys.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("Error while writing meta.properties file %s: %w", d, err)
		}
		if err := metaprops.WriteBootstrap(fsys, d, boot, now); err != nil {
			return fmt.Errorf("Error while writing %s in %s: %w", metaprops.BootstrapFile, d, err)
		}
		if len(scramUsers) > 0 {
			if err := scramcred.Save(fsys, d, scramUsers); err != nil {
				return fmt.Errorf("Error while writing %s in %s: %w", scramcred.File, d, err)
			}
		}
		if err := metaprops.Write(fsys, d, props[d], now); err != nil {
			return err
		}
	}
	return nil
}

// effectiveReleaseVersion is Formatter.calculateEffectiveReleaseVersion.
func effectiveReleaseVersion(mv kafkaver.MetadataVersion, given bool, requested map[string]int16, unstable bool) (kafkaver.MetadataVersion, error) {
	if level, ok := requested[metadataVersionKey]; ok {
		if given {
			return mv, errors.New("Use --release-version instead of --feature metadata.version=X to avoid ambiguity.")
		}
		m, found := kafkaver.ByLevel(level)
		if !found {
			return mv, fmt.Errorf("No MetadataVersion with feature level %d. Valid feature levels are from %d to %d.",
				level, mvMinimum, kafkaver.Latest().Level)
		}
		mv, given = m, true
	}
	if !given {
		if unstable {
			return kafkaver.Latest(), nil
		}
		return kafkaver.MustLevel(mvLatestProduction), nil
	}
	if !unstable && !mv.Production() {
		return mv, fmt.Errorf("%s %s is not yet stable.", metadataVersionKey, mv)
	}
	return mv, nil
}

// effectiveFeatureLevels is Formatter.calculateEffectiveFeatureLevels over
// Strata's features: the requested levels, defaults for the release for the
// others, each checked against its feature's levels and dependencies.
func effectiveFeatureLevels(mv kafkaver.MetadataVersion, requested map[string]int16, unstable bool) (map[string]int16, error) {
	supported := supportedFeatures()
	byName := map[string]kafkaver.Feature{}
	var names []string
	for _, f := range supported {
		byName[f.Name] = f
		names = append(names, f.Name)
	}
	slices.Sort(names)
	levels := map[string]int16{}
	for _, name := range sortedNames(requested) {
		if _, ok := byName[name]; !ok && name != metadataVersionKey {
			return nil, fmt.Errorf("Unsupported feature: %s. Supported features are: %s", name, strings.Join(names, ", "))
		}
		levels[name] = requested[name]
	}
	levels[metadataVersionKey] = mv.Level
	for _, f := range supported {
		if _, ok := levels[f.Name]; !ok {
			levels[f.Name] = min(f.DefaultLevel(mv.Level), strataMaxLevel(f.Name))
		}
	}
	for _, name := range sortedNames(levels) {
		if name == metadataVersionKey {
			continue
		}
		fl, err := fromLevel(byName[name], levels[name], unstable)
		if err != nil {
			return nil, err
		}
		if max := strataMaxLevel(name); fl.Level > max {
			return nil, fmt.Errorf("%s=%d is not supported by this broker: Strata supports %s up to level %d", name, fl.Level, name, max)
		}
		if fl.Level >= 1 && levels[metadataVersionKey] < mvMinimum {
			return nil, fmt.Errorf("%s could not be set to %d because it depends on metadata.version=%d (%s)",
				name, fl.Level, mvMinimum, kafkaver.MustLevel(mvMinimum))
		}
		for _, dep := range fl.Deps {
			if have, ok := levels[dep.Feature]; !ok || have < dep.Level {
				return nil, fmt.Errorf("%s could not be set to %d because it depends on %s level %d", name, fl.Level, dep.Feature, dep.Level)
			}
		}
	}
	return levels, nil
}

// parseNameAndLevel is StorageTool.parseNameAndLevel.
func parseNameAndLevel(s string) (string, int16, error) {
	name, level, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, fmt.Errorf("Can't parse feature=level string %s: equals sign not found.", s)
	}
	level = strings.TrimSpace(level)
	n, err := strconv.ParseInt(level, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("Can't parse feature=level string %s: unable to parse %s as a short.", s, level)
	}
	return strings.TrimSpace(name), int16(n), nil
}

// parseVoters is DynamicVoters.parse: id@host:port:directoryId, comma
// separated, with Kafka's messages.
func parseVoters(s string) ([]voter, error) {
	var out []voter
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		if part == "" {
			continue
		}
		v, err := parseVoter(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o voter) bool { return o.id == v.id }) {
			return nil, fmt.Errorf("Node id %d was specified more than once.", v.id)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("No voters given.")
	}
	slices.SortFunc(out, func(a, b voter) int { return int(a.id) - int(b.id) })
	return out, nil
}

func parseVoter(s string) (voter, error) {
	var v voter
	at := strings.Index(s, "@")
	switch {
	case at < 0:
		return v, errors.New("No @ found in dynamic voter string.")
	case at == 0:
		return v, errors.New("Invalid @ at beginning of dynamic voter string.")
	}
	id, err := strconv.ParseInt(s[:at], 10, 32)
	if err != nil {
		return v, errors.New("Failed to parse node id in dynamic voter string.")
	}
	if id < 0 {
		return v, fmt.Errorf("Invalid negative node id %d in dynamic voter string.", id)
	}
	v.id = int32(id)
	s = s[at+1:]
	if s == "" {
		return v, errors.New("No hostname found after node id.")
	}
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return v, errors.New("Hostname began with left bracket, but no right bracket was found.")
		}
		v.host, s = s[1:end], s[end+1:]
	} else {
		end := strings.Index(s, ":")
		if end < 0 {
			return v, errors.New("No colon following hostname could be found.")
		}
		v.host, s = s[:end], s[end:]
	}
	if !strings.HasPrefix(s, ":") {
		return v, errors.New("Port section must start with a colon.")
	}
	s = s[1:]
	end := strings.Index(s, ":")
	if end < 0 {
		return v, errors.New("No colon following port could be found.")
	}
	port, err := strconv.Atoi(s[:end])
	if err != nil {
		return v, errors.New("Failed to parse port in dynamic voter string.")
	}
	if port < 0 || port > 65535 {
		return v, fmt.Errorf("Invalid port %d in dynamic voter string.", port)
	}
	v.port = port
	if v.dirID, err = metaprops.ParseUuid(s[end+1:]); err != nil {
		return v, errors.New("Failed to parse directory ID in dynamic voter string.")
	}
	return v, nil
}

func votersString(vs []voter) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		host := v.host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		parts[i] = fmt.Sprintf("%d@%s:%d:%s", v.id, host, v.port, v.dirID)
	}
	return strings.Join(parts, ",")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedNames[V any](m map[string]V) []string { return keys(m) }
