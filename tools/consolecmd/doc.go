// Package consolecmd holds `strata console`: the web console of package
// console served on its own, against any Kafka-compatible cluster, with
// the same client properties as every tool (--command-config). It is the
// same console the broker embeds; only the client's seeds differ.
package consolecmd

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "console", Summary: "serve the web console against any Kafka-compatible cluster", Run: runConsole},
}
