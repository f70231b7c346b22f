package cli

import (
	"strings"
	"testing"
)

// TestAlias: a short name sets the long flag, IsSet(long) sees it, and
// boolean short flags take no value.
func TestAlias(t *testing.T) {
	f := NewFlags("storage", "Usage: strata storage\n")
	id := f.String("cluster-id", "", "")
	cfg := f.String("config", "", "")
	standalone := f.Bool("standalone", false, "")
	f.Alias("t", "cluster-id")
	f.Alias("c", "config")
	f.Alias("s", "standalone")
	var errOut strings.Builder
	e := &Env{Stderr: &errOut}
	e.Init()
	e.Stderr = &errOut
	if ok, code := f.Parse([]string{"-s", "-t", "abc", "-c", "server.properties"}, e); !ok || code != ExitOK {
		t.Fatalf("parse: %v %d %q", ok, code, errOut.String())
	}
	if *id != "abc" || *cfg != "server.properties" || !*standalone || !f.IsSet("cluster-id") || !f.IsSet("standalone") || f.IsSet("ignore") {
		t.Errorf("cluster-id %q config %q standalone %v set %v", *id, *cfg, *standalone, f.IsSet("cluster-id"))
	}
}
