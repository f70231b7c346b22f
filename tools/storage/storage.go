package storage

import (
	"fmt"
	"strings"

	"github.com/stratabroker/strata/internal/metaprops"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/tools/cli"
)

// Commands is the storage family: kafka-storage.sh.
var Commands = []cli.Command{
	{Name: "storage", Summary: "format and inspect this node's log directories (meta.properties), as kafka-storage.sh", Run: run},
}

const usage = `Usage: strata storage {info,format,version-mapping,feature-dependencies,random-uuid} ...

The Kafka storage tool (kafka-storage.sh).

  info                  Get information about the Kafka log directories on this node.
  format                Format the Kafka log directories on this node.
  version-mapping       Look up the corresponding features for a given metadata version.
  feature-dependencies  Look up dependencies for a given feature version.
  random-uuid           Print a random UUID.
`

const infoUsage = `Usage: strata storage info --config CONFIG

Get information about the Kafka log directories on this node.

  --config, -c CONFIG   The Kafka configuration file to use.
`

const formatUsage = `Usage: strata storage format --config CONFIG --cluster-id CLUSTER_ID [--add-scram ADD_SCRAM]
       [--ignore-formatted] [--release-version RELEASE_VERSION] [--feature FEATURE]
       [--standalone | --no-initial-controllers | --initial-controllers INITIAL_CONTROLLERS]

Format the Kafka log directories on this node: meta.properties in each of log.dirs
(or log.dir) and metadata.log.dir, with node.id from the configuration, and the
initial feature levels in strata.bootstrap.properties.

  --config, -c CONFIG              The Kafka configuration file to use.
  --cluster-id, -t CLUSTER_ID      The cluster ID to use.
  --add-scram, -S ADD_SCRAM        A SCRAM_CREDENTIAL to add to the SCRAM credential store:
                                   MECHANISM=[name=..,password=..] (also salt=, iterations=,
                                   saltedpassword=); e.g. SCRAM-SHA-256=[name=alice,password=alice-secret].
  --ignore-formatted, -g           Skip over already formatted directories rather than failing.
  --release-version, -r VERSION    The release version to use for the initial feature settings.
                                   The minimum is 3.3-IV3; the default is 4.1-IV1.
  --feature, -f FEATURE            The setting to use for a specific feature, in feature=level
                                   format. For example: ` + "`group.version=1`" + `. Repeatable.
  --standalone, -s                 Used to initialize a controller as a single-node dynamic quorum.
  --no-initial-controllers, -N     Used to initialize a server without specifying a dynamic quorum.
  --initial-controllers, -I LIST   Used to initialize a server with the specified dynamic quorum:
                                   a comma-separated list of id@hostname:port:directory.
`

const versionMappingUsage = `Usage: strata storage version-mapping [--release-version RELEASE_VERSION]

Look up the corresponding features for a given metadata version. Using the command with
no --release-version argument will return the mapping for the latest stable metadata version.

  --release-version, -r VERSION   The minimum is 3.3-IV3; the default is 4.1-IV1.
`

const featureDependenciesUsage = `Usage: strata storage feature-dependencies --feature FEATURE [--feature FEATURE ...]

Look up dependencies for a given feature version. If the feature is not known or the
version not yet defined, an error is thrown. Multiple features can be specified.

  --feature, -f FEATURE   The feature and version, in feature=version format.
                          For example: ` + "`metadata.version=5`" + `.
`

var subcommands = []string{"info", "format", "version-mapping", "feature-dependencies", "random-uuid"}

// fsys is the filesystem the commands read and write.
var fsys vfs.FS = vfs.OS

func run(args []string, e *cli.Env) int {
	if len(args) == 0 {
		fmt.Fprintln(e.Stderr, "strata storage: too few arguments: want one of "+strings.Join(subcommands, ", ")+" (run strata storage --help)")
		return cli.ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(e.Stdout, usage)
		return cli.ExitOK
	case "info":
		return runInfoCmd(args[1:], e)
	case "format":
		return runFormatCmd(args[1:], e)
	case "version-mapping":
		return runVersionMappingCmd(args[1:], e)
	case "feature-dependencies":
		return runFeatureDependenciesCmd(args[1:], e)
	case "random-uuid":
		f := cli.NewFlags("storage random-uuid", "Usage: strata storage random-uuid\n\nPrint a random UUID.\n")
		if ok, code := f.Parse(args[1:], e); !ok {
			return code
		}
		fmt.Fprintln(e.Stdout, metaprops.RandomUuid())
		return cli.ExitOK
	}
	fmt.Fprintf(e.Stderr, "strata storage: invalid choice: '%s' (choose from '%s') (run strata storage --help)\n",
		args[0], strings.Join(subcommands, "', '"))
	return cli.ExitUsage
}

// configFlag declares --config/-c.
func configFlag(f *cli.Flags) *string {
	c := f.String("config", "", "")
	f.Alias("c", "config")
	return c
}

func required(e *cli.Env, f *cli.Flags, long, short string) (int, bool) {
	if f.IsSet(long) {
		return 0, true
	}
	return f.UsageError(e, "argument --%s/-%s is required", long, short), false
}

func runInfoCmd(args []string, e *cli.Env) int {
	f := cli.NewFlags("storage info", infoUsage)
	cfg := configFlag(f)
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if code, ok := required(e, f, "config", "c"); !ok {
		return code
	}
	c, err := loadNodeConfig(*cfg)
	if err != nil {
		return cli.Fail(e, "storage", err)
	}
	return runInfo(e.Stdout, fsys, c.directories())
}

func runFormatCmd(args []string, e *cli.Env) int {
	f := cli.NewFlags("storage format", formatUsage)
	cfg := configFlag(f)
	var a formatArgs
	f.StringVar(&a.clusterID, "cluster-id", "", "")
	f.Alias("t", "cluster-id")
	scram := new(cli.Strs)
	f.Var(scram, "add-scram", "")
	f.Alias("S", "add-scram")
	f.BoolVar(&a.ignoreFormatted, "ignore-formatted", false, "")
	f.Alias("g", "ignore-formatted")
	f.StringVar(&a.releaseVersion, "release-version", "", "")
	f.Alias("r", "release-version")
	features := new(cli.Strs)
	f.Var(features, "feature", "")
	f.Alias("f", "feature")
	f.BoolVar(&a.standalone, "standalone", false, "")
	f.Alias("s", "standalone")
	f.BoolVar(&a.noInitial, "no-initial-controllers", false, "")
	f.Alias("N", "no-initial-controllers")
	f.StringVar(&a.initialControllers, "initial-controllers", "", "")
	f.Alias("I", "initial-controllers")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	for _, r := range [][2]string{{"config", "c"}, {"cluster-id", "t"}} {
		if code, ok := required(e, f, r[0], r[1]); !ok {
			return code
		}
	}
	// The quorum options are one mutually exclusive group, as in Kafka.
	group := [][2]string{{"standalone", "s"}, {"no-initial-controllers", "N"}, {"initial-controllers", "I"}}
	var first string
	for _, g := range group {
		if !f.IsSet(g[0]) {
			continue
		}
		name := "--" + g[0] + "/-" + g[1]
		if first != "" {
			return f.UsageError(e, "argument %s: not allowed with argument %s", name, first)
		}
		first = name
	}
	a.features, a.addScram = *features, *scram
	c, err := loadNodeConfig(*cfg)
	if err != nil {
		return cli.Fail(e, "storage", err)
	}
	if err := runFormat(e.Stdout, fsys, c, a, e.Now()); err != nil {
		return cli.Fail(e, "storage", err)
	}
	return cli.ExitOK
}

func runVersionMappingCmd(args []string, e *cli.Env) int {
	f := cli.NewFlags("storage version-mapping", versionMappingUsage)
	release := f.String("release-version", "", "")
	f.Alias("r", "release-version")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if err := runVersionMapping(e.Stdout, *release); err != nil {
		return cli.Fail(e, "storage", err)
	}
	return cli.ExitOK
}

func runFeatureDependenciesCmd(args []string, e *cli.Env) int {
	f := cli.NewFlags("storage feature-dependencies", featureDependenciesUsage)
	features := new(cli.Strs)
	f.Var(features, "feature", "")
	f.Alias("f", "feature")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if code, ok := required(e, f, "feature", "f"); !ok {
		return code
	}
	if err := runFeatureDependencies(e.Stdout, *features); err != nil {
		return cli.Fail(e, "storage", err)
	}
	return cli.ExitOK
}
