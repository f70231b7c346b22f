package logs

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/index"
)

// TestDumpTxnIndex: a .txnindex prints as kafka-dump-log.sh prints it.
func TestDumpTxnIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "00000000000000000000.txnindex")
	b := index.AbortedTxn{ProducerID: 7, FirstOffset: 3, LastOffset: 8, LastStableOffset: 6}.AppendEntry(nil)
	b = index.AbortedTxn{ProducerID: 9, FirstOffset: 10, LastOffset: 12, LastStableOffset: 13}.AppendEntry(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	d := &dumper{out: bufio.NewWriter(&out)}
	if err := d.dumpTxnIndex(path); err != nil {
		t.Fatal(err)
	}
	d.out.Flush()
	want := "version: 0 producerId: 7 firstOffset: 3 lastOffset: 8 lastStableOffset: 6\n" +
		"version: 0 producerId: 9 firstOffset: 10 lastOffset: 12 lastStableOffset: 13\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
