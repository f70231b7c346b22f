// Package tools lists every tool family, in the order `strata --help`
// shows them. Each family is a package below tools/ (one room per family,
// see docs/ARCHITECTURE.md); tools/cli is what they share.
package tools

import (
	"github.com/stratabroker/strata/tools/acls"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/clientmetrics"
	"github.com/stratabroker/strata/tools/clients"
	"github.com/stratabroker/strata/tools/cluster"
	"github.com/stratabroker/strata/tools/consolecmd"
	"github.com/stratabroker/strata/tools/delegationtokens"
	"github.com/stratabroker/strata/tools/groups"
	"github.com/stratabroker/strata/tools/jmx"
	"github.com/stratabroker/strata/tools/logs"
	"github.com/stratabroker/strata/tools/perf"
	"github.com/stratabroker/strata/tools/process"
	"github.com/stratabroker/strata/tools/storage"
	"github.com/stratabroker/strata/tools/streams"
	"github.com/stratabroker/strata/tools/topics"
	"github.com/stratabroker/strata/tools/transactions"
	"github.com/stratabroker/strata/tools/verifiable"
)

// Commands returns every tool of every family.
func Commands() []cli.Command {
	var all []cli.Command
	for _, family := range [][]cli.Command{
		topics.Commands,
		clients.Commands,
		groups.Commands,
		logs.Commands,
		perf.Commands,
		verifiable.Commands,
		storage.Commands,
		streams.Commands,
		process.Commands,
		cluster.Commands,
		clientmetrics.Commands,
		delegationtokens.Commands,
		consolecmd.Commands,
		jmx.Commands,
		transactions.Commands,
		acls.Commands,
	} {
		all = append(all, family...)
	}
	return all
}
