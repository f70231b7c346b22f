package main

import (
	"path/filepath"
	"strings"
)

// Kafka's script names map to Strata's commands busybox style: a link named
// kafka-topics.sh to the strata binary runs `strata topics`. The two scripts
// whose names are not a command's:
var scriptCommands = map[string]string{
	"server-start": "broker",
}

// laterScripts are Kafka's scripts Strata does not have yet, with what
// they wait for: running one says so instead of "unknown command".
var laterScripts = map[string]string{
	"console-share-consumer":    "Strata has no share groups yet (KIP-932)",
	"share-groups":              "Strata has no share groups yet (KIP-932)",
	"share-consumer-perf-test":  "Strata has no share groups yet (KIP-932)",
	"verifiable-share-consumer": "Strata has no share groups yet (KIP-932)",
	"groups":                    "kafka-groups.sh comes with the KIP-848 consumer groups",
	"streams-groups":            "Strata has no streams groups yet (KIP-1071)",
	"metadata-quorum":           "Strata has no metadata quorum yet (the cluster work)",
	"metadata-shell":            "Strata has no metadata log yet (the cluster work)",
	"reassign-partitions":       "Strata has no replicas to reassign yet (replication)",
	"leader-election":           "Strata has no replicas to elect from yet (replication)",
	"replica-verification":      "Strata has no replicas yet (replication)",
	"run-class":                 "Strata runs no Java classes; each tool is a strata subcommand (strata --help)",
}

// argsByName returns the command line to dispatch: os.Args[1:] when the
// binary runs as strata, the command its Kafka script name stands for
// followed by os.Args[1:] when it runs as kafka-<tool>.sh.
func argsByName(osArgs []string) []string {
	if len(osArgs) == 0 {
		return nil
	}
	name, ok := commandOfScript(filepath.Base(osArgs[0]))
	if !ok {
		return osArgs[1:]
	}
	return append([]string{name}, osArgs[1:]...)
}

// commandOfScript returns the command for a script name like
// kafka-topics.sh (or kafka-topics, as some distributions install them).
// An unknown kafka-*.sh name still dispatches, so its error names it.
func commandOfScript(base string) (string, bool) {
	rest, ok := strings.CutPrefix(base, "kafka-")
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, ".sh")
	if c, ok := scriptCommands[rest]; ok {
		return c, true
	}
	return rest, true
}

// strataOnly are commands Kafka has no script for: no kafka-*.sh link.
var strataOnly = map[string]bool{"console": true, "metrics": true}

// kafkaScripts returns the kafka-*.sh name of every command that stands
// for one of Kafka's scripts, for the links `make build` writes beside the
// binary.
func kafkaScripts() []string {
	var out []string
	for _, c := range commands {
		if strataOnly[c.Name] {
			continue
		}
		name := c.Name
		for script, cmd := range scriptCommands {
			if cmd == c.Name {
				name = script
			}
		}
		out = append(out, "kafka-"+name+".sh")
	}
	return out
}
