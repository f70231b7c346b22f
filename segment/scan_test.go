package segment

import (
	"bytes"
	"errors"
	"testing"
)

// TestScan: Scan yields every batch as appended, with its position, over
// the mapping and over ReadAt; fn's false stops it; a frame that is not a
// batch ends it with ErrCorrupt after the batches before it.
func TestScan(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 100, Options{})
		defer s.Close()
		var want [][]byte
		for i := range 5 {
			b := mkBatch(t, 100+int64(i)*3, 100*(i+1), 1, 2, 3)
			if err := s.Append(b); err != nil {
				t.Fatal(err)
			}
			want = append(want, b)
		}
		if err := s.Seal(); err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		var pos []int64
		if err := s.Scan(func(b []byte, p int64) (bool, error) {
			got = append(got, bytes.Clone(b))
			pos = append(pos, p)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		var at int64
		for i := range want {
			if i >= len(got) || !bytes.Equal(got[i], want[i]) || pos[i] != at {
				t.Fatalf("batch %d: %d bytes at %v, want %d at %d", i, len(got), pos, len(want[i]), at)
			}
			at += int64(len(want[i]))
		}
		n := 0
		if err := s.Scan(func([]byte, int64) (bool, error) { n++; return n < 2, nil }); err != nil || n != 2 {
			t.Fatalf("stopped after %d batches: %v", n, err)
		}
		stop := errors.New("stop")
		if err := s.Scan(func([]byte, int64) (bool, error) { return true, stop }); err != stop {
			t.Fatalf("fn's error: %v", err)
		}
	})
}

// TestScanCorrupt: a length field that runs past the log (written behind
// the loaded segment's back) ends the scan with ErrCorrupt, after the
// batches before it.
func TestScanCorrupt(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{})
		defer s.Close()
		b1, b2 := mkBatch(t, 0, 10, 1), mkBatch(t, 1, 10, 2)
		for _, b := range [][]byte{b1, b2} {
			if err := s.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		f, err := c.fs.OpenRW(LogPath(c.dir, 0))
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte{0x7f, 0, 0, 0}, int64(len(b1))+8) // the second batch's length
		f.Close()
		n := 0
		err = s.Scan(func([]byte, int64) (bool, error) { n++; return true, nil })
		if !errors.Is(err, ErrCorrupt) || n != 1 {
			t.Fatalf("%d batches before the bad frame, then %v", n, err)
		}
	})
}
