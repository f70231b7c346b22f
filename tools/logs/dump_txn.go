package logs

import (
	"fmt"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/internal/vfs"
)

// dumpTxnIndex prints a .txnindex as DumpLogSegments.dumpTxnIndex does:
// one line per aborted transaction.
func (d *dumper) dumpTxnIndex(file string) error {
	entries, err := index.ReadTxnIndex(vfs.OS, file)
	if err != nil {
		return err
	}
	for _, a := range entries {
		fmt.Fprintf(d.out, "version: %d producerId: %d firstOffset: %d lastOffset: %d lastStableOffset: %d\n",
			index.TxnIndexVersion, a.ProducerID, a.FirstOffset, a.LastOffset, a.LastStableOffset)
	}
	return nil
}
