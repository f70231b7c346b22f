package index

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"
)

// TestTxnIndexLayout: Kafka's AbortedTxn bytes, and back.
func TestTxnIndexLayout(t *testing.T) {
	a := AbortedTxn{ProducerID: 0x0102030405060708, FirstOffset: 9, LastOffset: 10, LastStableOffset: 11}
	b := a.AppendEntry(nil)
	want := "0000" + "0102030405060708" + "0000000000000009" + "000000000000000a" + "000000000000000b"
	if hex.EncodeToString(b) != want || len(b) != AbortedTxnSize {
		t.Fatalf("entry %x, want %s", b, want)
	}
	got, err := ParseTxnIndex(append(b, 0, 0, 7)) // a torn tail is ignored
	if err != nil || !slices.Equal(got, []AbortedTxn{a}) {
		t.Fatalf("parse: %+v, %v", got, err)
	}
	b[1] = 1 // version 1: unknown
	if _, err := ParseTxnIndex(b); !errors.Is(err, ErrCorruptIndex) {
		t.Fatalf("version 1: %v", err)
	}
}

// TestCollectAbortedTxns against Kafka's full scan, for every range over
// an index with overlapping transactions.
func TestCollectAbortedTxns(t *testing.T) {
	entries := []AbortedTxn{
		{ProducerID: 1, FirstOffset: 0, LastOffset: 5, LastStableOffset: 2},
		{ProducerID: 2, FirstOffset: 2, LastOffset: 8, LastStableOffset: 7},
		{ProducerID: 3, FirstOffset: 7, LastOffset: 9, LastStableOffset: 10},
		{ProducerID: 4, FirstOffset: 12, LastOffset: 20, LastStableOffset: 14},
		{ProducerID: 5, FirstOffset: 14, LastOffset: 25, LastStableOffset: 26},
	}
	for from := int64(0); from < 28; from++ {
		for upTo := from + 1; upTo < 29; upTo++ {
			got, gc := CollectAbortedTxns(entries, from, upTo)
			want, wc := collectScan(entries, from, upTo)
			if !slices.Equal(got, want) || gc != wc {
				t.Fatalf("[%d, %d): %+v %v, want %+v %v", from, upTo, got, gc, want, wc)
			}
		}
	}
	if got, c := CollectAbortedTxns(entries, 6, 8); !slices.Equal(got, entries[1:3]) || !c {
		t.Fatalf("[6, 8): %+v %v", got, c)
	}
}
