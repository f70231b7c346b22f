package config

import (
	"slices"
	"testing"
)

// TestShippedServerProperties: the repository's config/server.properties
// (Kafka's distribution file with Strata's defaults) loads and validates,
// sets only properties Strata implements (the others are commented out),
// and serves PLAINTEXT on 127.0.0.1:9092 with data in ./data.
func TestShippedServerProperties(t *testing.T) {
	b, err := Load("server.properties")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(b.Unknown) != 0 {
		t.Errorf("properties Strata does not implement are set: %v", b.Unknown)
	}
	served, err := b.ServedListeners()
	if err != nil {
		t.Fatal(err)
	}
	if len(served) != 1 || served[0].Name != "PLAINTEXT" || served[0].Addr() != "127.0.0.1:9092" {
		t.Errorf("served listeners %+v, want PLAINTEXT on 127.0.0.1:9092", served)
	}
	if !slices.Equal(b.LogDirs, []string{"./data"}) || b.NodeID != 1 || b.NumRecoveryThreadsPerDataDir != 2 {
		t.Errorf("log.dirs %v node.id %d num.recovery.threads.per.data.dir %d", b.LogDirs, b.NodeID, b.NumRecoveryThreadsPerDataDir)
	}
}
