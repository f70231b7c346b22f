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

// kafkaScripts returns the kafka-*.sh name of every command, for the links
// `make build` writes beside the binary.
func kafkaScripts() []string {
	var out []string
	for _, c := range commands {
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
