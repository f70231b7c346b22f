package storage

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"
)

// defaultLogDir is the broker's log.dir default (config/broker.go), which
// this package may not import; Kafka's is /tmp/kafka-logs.
const defaultLogDir = "./data"

// nodeConfig is what the storage tool reads of a server.properties: the
// parts KafkaConfig gives kafka-storage.sh.
type nodeConfig struct {
	logDirs        []string // log.dirs, else log.dir
	metadataLogDir string   // metadata.log.dir, else the first log dir
	nodeID         int32    // node.id, else broker.id, else 1 (Strata's default)
	roles          []string // process.roles
	staticVoters   bool     // controller.quorum.voters is set
	unstable       bool     // unstable.feature.versions.enable
	props          map[string]string
}

// loadNodeConfig reads path (a Java properties file, as Kafka's
// Utils.loadProps).
func loadNodeConfig(path string) (*nodeConfig, error) {
	props, err := cli.LoadPropsFile(path)
	if err != nil {
		return nil, err
	}
	c := &nodeConfig{props: props, nodeID: 1}
	dirs, ok := props["log.dirs"]
	if !ok {
		if dirs, ok = props["log.dir"]; !ok {
			dirs = defaultLogDir
		}
	}
	c.logDirs = csv(dirs)
	if len(c.logDirs) == 0 {
		return nil, fmt.Errorf("Invalid value %s for configuration log.dirs: at least one log directory is required", dirs)
	}
	c.metadataLogDir = c.logDirs[0]
	if d := strings.TrimSpace(props["metadata.log.dir"]); d != "" {
		c.metadataLogDir = d
	}
	for _, k := range []string{"broker.id", "node.id"} {
		if v, ok := props[k]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type INT", v, k)
			}
			c.nodeID = int32(n)
		}
	}
	c.roles = csv(props["process.roles"])
	if len(c.roles) == 0 {
		// A Strata node without process.roles is what the broker runs: a
		// combined node, one voter of its own metadata quorum.
		c.roles = []string{"broker", "controller"}
	}
	c.staticVoters = strings.TrimSpace(props["controller.quorum.voters"]) != ""
	c.unstable = strings.TrimSpace(props["unstable.feature.versions.enable"]) == "true"
	return c, nil
}

// directories is StorageTool.configToLogDirectories: the log dirs and the
// metadata log dir, sorted, each once.
func (c *nodeConfig) directories() []string {
	dirs := append(slices.Clone(c.logDirs), c.metadataLogDir)
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

func (c *nodeConfig) controller() bool { return slices.Contains(c.roles, "controller") }

// controllerEndpoint is the first of KafkaConfig's
// effectiveAdvertisedControllerListeners: for each name of
// controller.listener.names, its advertised.listeners entry, else its
// listeners entry; an empty host is localhost.
func (c *nodeConfig) controllerEndpoint() (host string, port int, ok bool) {
	names := csv(c.props["controller.listener.names"])
	listeners := map[string][]string{
		"advertised.listeners": csv(c.props["advertised.listeners"]),
		"listeners":            csv(c.props["listeners"]),
	}
	if len(names) == 0 && len(csv(c.props["process.roles"])) == 0 {
		// Strata's own node (no process.roles, no controller listener)
		// is its own one-voter quorum, reached on its first listener
		// (listeners' default is Strata's PLAINTEXT://127.0.0.1:9092).
		if len(listeners["listeners"]) == 0 {
			listeners["listeners"] = []string{"PLAINTEXT://127.0.0.1:9092"}
		}
		first, _, _ := strings.Cut(listeners["listeners"][0], "://")
		names = []string{first}
	}
	for _, name := range names {
		for _, key := range []string{"advertised.listeners", "listeners"} {
			for _, l := range listeners[key] {
				lname, hostport, found := strings.Cut(l, "://")
				if !found || !strings.EqualFold(lname, name) {
					continue
				}
				h, p, err := net.SplitHostPort(hostport)
				if err != nil {
					continue
				}
				n, err := strconv.Atoi(p)
				if err != nil {
					continue
				}
				if h == "" {
					h = "localhost"
				}
				return h, n, true
			}
		}
	}
	return "", 0, false
}

// csv is Kafka's Csv.parseCsvList: comma-separated, trimmed, no empties.
func csv(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
