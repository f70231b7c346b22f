package index

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

const benchMaxBytes = 10 << 20 // segment.index.bytes default

// fullOffsetIndex returns a full 10 MiB mmap'd offset index (1,310,720
// entries, one per 512 bytes of log and 4 offsets).
func fullOffsetIndex(b *testing.B) *Offset {
	b.Helper()
	x, err := OpenOffset(vfs.OS, filepath.Join(b.TempDir(), "0.index"), 0, benchMaxBytes)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { x.Close() })
	for i := int64(0); !x.Full(); i++ {
		if err := x.Append(4*i+1, 512*i+1); err != nil {
			b.Fatal(err)
		}
	}
	return x
}

func benchLookup(b *testing.B, targets []int64, x *Offset) {
	b.ReportAllocs()
	var sink int64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		o, p := x.Lookup(targets[i&(len(targets)-1)])
		sink += o + p
	}
	_ = sink
}

// BenchmarkOffsetLookupWarm looks up targets inside the warm section (the
// last 8 KiB of entries), where in-sync consumers read.
func BenchmarkOffsetLookupWarm(b *testing.B) {
	x := fullOffsetIndex(b)
	n := int64(x.Entries())
	r := rand.New(rand.NewPCG(1, 1))
	targets := make([]int64, 1024)
	for i := range targets {
		targets[i] = 4*(n-1-r.Int64N(warmBytes/8)) + 1 + r.Int64N(4)
	}
	benchLookup(b, targets, x)
}

// BenchmarkOffsetLookupCold looks up targets spread over the rest of the
// index (a consumer catching up from the segment's start).
func BenchmarkOffsetLookupCold(b *testing.B) {
	x := fullOffsetIndex(b)
	n := int64(x.Entries())
	r := rand.New(rand.NewPCG(2, 2))
	targets := make([]int64, 1024)
	for i := range targets {
		targets[i] = 4*r.Int64N(n-1-warmBytes/8) + r.Int64N(4)
	}
	benchLookup(b, targets, x)
}

// BenchmarkOffsetAppend appends to a 10 MiB mmap'd index, resetting it
// (untimed) when it is full.
func BenchmarkOffsetAppend(b *testing.B) {
	x, err := OpenOffset(vfs.OS, filepath.Join(b.TempDir(), "0.index"), 0, benchMaxBytes)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	b.ReportAllocs()
	b.SetBytes(offsetEntrySize)
	var i int64
	for b.Loop() {
		if x.Full() {
			b.StopTimer()
			x.Reset()
			i = 0
			b.StartTimer()
		}
		if err := x.Append(4*i+1, 512*i+1); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
