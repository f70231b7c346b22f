package segment

import (
	"testing"

	"github.com/stratabroker/strata/recordbatch"
)

// tsBatches is a segment's worth of batches with timestamps that go back
// and forth, a LogAppendTime batch and a compressed one:
//
//	offsets 0-2   CreateTime      100, 90, 110
//	offsets 3-4   CreateTime      105, 120
//	offsets 5-6   LogAppendTime   records 50, 60; batch MaxTimestamp 200
//	offsets 7-9   gzip            130, 250, 240
//	offsets 10-11 CreateTime      250, 260
func tsBatches(t *testing.T) [][]byte {
	b := recordbatch.NewBuilder()
	lat := recordbatch.NewBuilder()
	lat.LogAppendTime = true
	gz := recordbatch.NewBuilder()
	gz.Codec = recordbatch.CodecGzip
	appendTime := mkBuilt(t, lat, 5, 50, 60)
	recordbatch.Header(appendTime).SetMaxTimestamp(200)
	recordbatch.Header(appendTime).UpdateCRC()
	return [][]byte{
		mkBuilt(t, b, 0, 100, 90, 110),
		mkBuilt(t, b, 3, 105, 120),
		appendTime,
		mkBuilt(t, gz, 7, 130, 250, 240),
		mkBuilt(t, b, 10, 250, 260),
	}
}

func TestFindTimestamp(t *testing.T) {
	for _, interval := range []int{1, 4096} {
		forEachFS(t, func(t *testing.T, c fsCase) {
			s := mustCreate(t, c, 0, Options{IndexIntervalBytes: interval})
			defer mustClose(t, s)
			appendAll(t, s, tsBatches(t))
			for _, c := range []struct {
				ts, from     int64
				offset, time int64
				found        bool
			}{
				{-5, 0, 0, 100, true},
				{100, 0, 0, 100, true},
				{101, 0, 2, 110, true},
				{111, 0, 4, 120, true},
				{121, 0, 5, 200, true}, // LogAppendTime: every record has the batch's timestamp
				{200, 0, 5, 200, true},
				{201, 0, 8, 250, true}, // inside the compressed batch
				{250, 0, 8, 250, true},
				{251, 0, 11, 260, true},
				{261, 0, -1, -1, false},
				{0, 6, 6, 200, true},
				{101, 3, 3, 105, true},
				{101, 8, 8, 250, true},
				{0, 12, -1, -1, false},
			} {
				off, ts, found, err := s.FindTimestampFrom(c.ts, c.from)
				if err != nil || off != c.offset || ts != c.time || found != c.found {
					t.Errorf("interval %d: FindTimestampFrom(%d, %d) = %d, %d, %v, %v; want %d, %d, %v",
						interval, c.ts, c.from, off, ts, found, err, c.offset, c.time, c.found)
				}
			}
			if off, ts, found, err := s.FindTimestamp(111); off != 4 || ts != 120 || !found || err != nil {
				t.Errorf("FindTimestamp(111) = %d, %d, %v, %v; want 4, 120, true", off, ts, found, err)
			}
			if ts, off, err := s.MaxTimestamp(); ts != 260 || off != 11 || err != nil {
				t.Errorf("MaxTimestamp = %d, %d, %v; want 260, 11", ts, off, err)
			}
			if ms, ok := s.RollTimestamp(); ms != 110 || !ok {
				t.Errorf("RollTimestamp = %d, %v; want 110, true", ms, ok)
			}
		})
	}
}

// TestMaxTimestamp checks the offset ListOffsets(-3) answers with (Kafka
// 3.7.1 and later): the first record carrying the largest timestamp, in the
// first batch whose MaxTimestamp it is.
func TestMaxTimestamp(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 40, Options{IndexIntervalBytes: 1})
		defer mustClose(t, s)
		if ts, off, err := s.MaxTimestamp(); ts != -1 || off != -1 || err != nil {
			t.Errorf("empty: MaxTimestamp = %d, %d, %v; want -1, -1", ts, off, err)
		}
		if ts, err := s.LargestTimestamp(); ts != -1 || err != nil {
			t.Errorf("empty: LargestTimestamp = %d, %v; want -1", ts, err)
		}
		if _, ok := s.RollTimestamp(); ok {
			t.Error("empty: RollTimestamp ok")
		}
		b := recordbatch.NewBuilder()
		mustAppend(t, s, mkBuilt(t, b, 40, 100, 300, 200, 300)) // offsets 40-43
		mustAppend(t, s, mkBuilt(t, b, 44, 300, 10))            // a tie: the first batch wins
		if ts, off, err := s.MaxTimestamp(); ts != 300 || off != 41 || err != nil {
			t.Errorf("MaxTimestamp = %d, %d, %v; want 300, 41", ts, off, err)
		}
		// A larger timestamp in a LogAppendTime batch: its first record.
		lat := recordbatch.NewBuilder()
		lat.LogAppendTime = true
		batch := mkBuilt(t, lat, 46, 1, 2, 3)
		recordbatch.Header(batch).SetMaxTimestamp(900)
		recordbatch.Header(batch).UpdateCRC()
		mustAppend(t, s, batch)
		if ts, off, err := s.MaxTimestamp(); ts != 900 || off != 46 || err != nil {
			t.Errorf("after a LogAppendTime batch: MaxTimestamp = %d, %d, %v; want 900, 46", ts, off, err)
		}
		// A batch whose MaxTimestamp no record carries: Kafka answers -1.
		bad := mkBuilt(t, b, 49, 5, 6)
		recordbatch.Header(bad).SetMaxTimestamp(1000)
		recordbatch.Header(bad).UpdateCRC()
		mustAppend(t, s, bad)
		if ts, off, err := s.MaxTimestamp(); ts != 1000 || off != -1 || err != nil {
			t.Errorf("unmatched MaxTimestamp: MaxTimestamp = %d, %d, %v; want 1000, -1", ts, off, err)
		}
		if ms, ok := s.RollTimestamp(); ms != 300 || !ok {
			t.Errorf("RollTimestamp = %d, %v; want 300, true", ms, ok)
		}
		mustClose(t, s)
		s2 := mustOpen(t, c, 40, Options{IndexIntervalBytes: 1})
		defer mustClose(t, s2)
		if ts, off, err := s2.MaxTimestamp(); ts != 1000 || off != -1 || err != nil {
			t.Errorf("reopened: MaxTimestamp = %d, %d, %v; want 1000, -1", ts, off, err)
		}
		if ms, ok := s2.RollTimestamp(); ms != 300 || !ok {
			t.Errorf("reopened: RollTimestamp = %d, %v; want 300, true", ms, ok)
		}
	})
}
