package tools

import (
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestConfigsCompaction: the compaction topic configs and the cleaner's
// broker properties through the tools, as Kafka's kafka-topics.sh and
// kafka-configs.sh show them: set at create, described with their source
// and synonyms, refused with Kafka's messages (INVALID_CONFIG naming the
// property; INVALID_REQUEST for a dynamic thread count out of bounds);
// and a keyless record to the compacted topic refused.
func TestConfigsCompaction(t *testing.T) {
	tg := tooltest.StartStrata(t, "log.cleaner.min.cleanable.ratio", "0.2")
	tr := newTranscript(t, tg)
	tr.Run("", "topics", "--create", "--topic", "kv", "--config", "cleanup.policy=compact", "--config", "min.cleanable.dirty.ratio=0.01", "--config", "delete.retention.ms=100")
	tr.Run("", "topics", "--create", "--topic", "bad", "--config", "cleanup.policy=compact", "--config", "min.cleanable.dirty.ratio=2")
	tr.Run("", "topics", "--create", "--topic", "bad", "--config", "min.compaction.lag.ms=10", "--config", "max.compaction.lag.ms=5")
	tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "kv", "--describe")
	tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "kv", "--alter", "--add-config", "min.compaction.lag.ms=-1")
	tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "kv", "--alter", "--add-config", "max.compaction.lag.ms=60000,min.compaction.lag.ms=1000", "--delete-config", "delete.retention.ms")
	tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "kv", "--describe")
	tr.Run("", "configs", "--entity-type", "brokers", "--entity-name", "1", "--alter", "--add-config", "log.cleaner.threads=4")
	tr.Run("", "configs", "--entity-type", "brokers", "--entity-name", "1", "--alter", "--add-config", "log.cleaner.threads=2,log.cleaner.backoff.ms=1000")
	tr.Run("", "configs", "--entity-type", "brokers", "--entity-name", "1", "--alter", "--add-config", "log.cleaner.enable=false")
	tr.Run("", "configs", "--entity-type", "brokers", "--entity-name", "1", "--describe")
	tr.Run("no key\n", "console-producer", "--topic", "kv")
	tr.Check("configs_compaction")
}
