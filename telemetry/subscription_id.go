package telemetry

import (
	"hash/crc32"
	"strconv"
	"strings"
)

// Kafka computes a client's subscription id from the text of a Java
// HashSet<String> (its toString, "[a, b]"), so the order of the set's
// iteration is part of the id: internal/javahash's Order.

// subscriptionID is Kafka's ClientMetricsManager.computeSubscriptionId:
// the CRC32C of the metrics set's text followed by the push interval,
// XORed with the client instance id's hashCode. metrics must be in the
// set's iteration order (javahash.Order).
func subscriptionID(metrics []string, pushIntervalMs int32, instance [16]byte) int32 {
	text := "[" + strings.Join(metrics, ", ") + "]" + strconv.Itoa(int(pushIntervalMs))
	crc := crc32.Checksum([]byte(text), crc32.MakeTable(crc32.Castagnoli))
	return int32(crc) ^ uuidHash(instance)
}

// uuidHash is Kafka's Uuid.hashCode: the two 64-bit halves XORed, then
// the high and low 32 bits of that XORed.
func uuidHash(id [16]byte) int32 {
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(id[i])
		lo = lo<<8 | uint64(id[8+i])
	}
	h := hi ^ lo
	return int32(uint32(h>>32)) ^ int32(uint32(h))
}
