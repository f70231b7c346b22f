package segment

import (
	"slices"
	"testing"

	"github.com/stratabroker/strata/index"
)

// TestTxnIndexFollowsSegment: the .txnindex is created by the first
// entry, read back by a reopened segment, cut by TruncateTo, renamed by
// Rename, and removed with the segment by Delete; a Retire under a reader
// renames it .deleted until the reader goes.
func TestTxnIndexFollowsSegment(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 100, Options{})
		mustAppend(t, s, mkBatch(t, 100, 10, 1, 2), mkBatch(t, 102, 10, 3), mkBatch(t, 103, 10, 4))
		path := TxnIndexPath(c.dir, 100)
		if exists(t, c.fs, path) {
			t.Fatal(".txnindex before any entry")
		}
		a1 := index.AbortedTxn{ProducerID: 1, FirstOffset: 90, LastOffset: 101, LastStableOffset: 102}
		a2 := index.AbortedTxn{ProducerID: 2, FirstOffset: 95, LastOffset: 103, LastStableOffset: 104}
		for _, a := range []index.AbortedTxn{a1, a2} {
			if err := s.AppendAbortedTxn(a); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AppendAbortedTxn(a1); err == nil {
			t.Fatal("an entry not after the last one was taken")
		}
		if got := readFile(t, c.fs, path); !slices.Equal(got, a2.AppendEntry(a1.AppendEntry(nil))) {
			t.Fatalf(".txnindex %x", got)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		mustClose(t, s)

		s = mustOpen(t, c, 100, Options{})
		if got, err := s.AbortedTxns(); err != nil || !slices.Equal(got, []index.AbortedTxn{a1, a2}) {
			t.Fatalf("reopened: %+v, %v", got, err)
		}
		if got, complete, err := s.CollectAbortedTxns(102, 103); err != nil || !slices.Equal(got, []index.AbortedTxn{a2}) || !complete {
			t.Fatalf("collect [102, 103): %+v %v %v", got, complete, err)
		}
		if err := s.TruncateTo(103); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, c.fs, path); !slices.Equal(got, a1.AppendEntry(nil)) {
			t.Fatalf("after TruncateTo(103): %x", got)
		}
		if err := s.Rename("", SwapSuffix); err != nil {
			t.Fatal(err)
		}
		if exists(t, c.fs, path) || !exists(t, c.fs, path+SwapSuffix) {
			t.Fatal("Rename left the .txnindex behind")
		}
		if err := s.Rename(SwapSuffix, ""); err != nil {
			t.Fatal(err)
		}
		if !s.Acquire() {
			t.Fatal("Acquire")
		}
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
		if exists(t, c.fs, path) || !exists(t, c.fs, path+DeletedSuffix) {
			t.Fatal("Delete under a reader: .txnindex not renamed .deleted")
		}
		if got, err := s.AbortedTxns(); err != nil || !slices.Equal(got, []index.AbortedTxn{a1}) {
			t.Fatalf("a deleted segment's reader: %+v, %v", got, err)
		}
		s.Release()
		if exists(t, c.fs, path+DeletedSuffix) {
			t.Fatal(".txnindex.deleted left after the last reference")
		}
		// A new segment at the same base starts without entries.
		s = mustCreate(t, c, 100, Options{})
		if got, err := s.AbortedTxns(); err != nil || len(got) != 0 {
			t.Fatalf("new segment: %+v, %v", got, err)
		}
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
	})
}
