package console

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/tooltest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seedMessages produces to topic m: partition 0 gets 5 text records at
// t0+i s, partition 1 a JSON value, a binary value and a huge one.
func seedMessages(s *site) {
	s.createTopic("m", 2, nil)
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: "m", Partition: 0, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "value %d", i),
			Timestamp: t0.Add(time.Duration(i) * time.Second), Headers: []kgo.RecordHeader{{Key: "h", Value: fmt.Appendf(nil, "x%d", i)}}})
	}
	s.produce(recs...)
	s.produce(
		&kgo.Record{Topic: "m", Partition: 1, Key: []byte("j"), Value: []byte(`{"a":1,"b":[true,null]}`), Timestamp: t0.Add(10 * time.Second)},
		&kgo.Record{Topic: "m", Partition: 1, Value: []byte{0, 1, 2, 0xff, 0xfe}, Timestamp: t0.Add(11 * time.Second)},
		&kgo.Record{Topic: "m", Partition: 1, Key: []byte("huge"), Value: bytes.Repeat([]byte{0x80}, 100_000), Timestamp: t0.Add(12 * time.Second)},
	)
}

func TestMessages(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		seedMessages(s)

		// The newest 2 of partition 0, with their keys, values, headers, times.
		body := s.ok("/topics/m/messages?partition=0&n=2")
		equalRows(t, "newest 2", table(t, body, "messages"), []string{
			"Partition | Offset | Timestamp (UTC) | Key | Value | Headers",
			"0 | 3 | 2026-03-01 12:00:03.000 | k3 | value 3 | h : x3",
			"0 | 4 | 2026-03-01 12:00:04.000 | k4 | value 4 | h : x4",
		})
		// From offset 1, 3 records.
		rows := table(t, s.ok("/topics/m/messages?partition=0&mode=offset&offset=1&n=3"), "messages")
		equalRows(t, "offset 1", rows[1:], []string{
			"0 | 1 | 2026-03-01 12:00:01.000 | k1 | value 1 | h : x1",
			"0 | 2 | 2026-03-01 12:00:02.000 | k2 | value 2 | h : x2",
			"0 | 3 | 2026-03-01 12:00:03.000 | k3 | value 3 | h : x3",
		})
		// From a timestamp.
		rows = table(t, s.ok("/topics/m/messages?partition=0&mode=timestamp&ts=2026-03-01T12:00:03&n=10"), "messages")
		if len(rows) != 3 || !strings.HasPrefix(rows[1], "0 | 3 |") || !strings.HasPrefix(rows[2], "0 | 4 |") {
			t.Errorf("timestamp:\n%s", strings.Join(rows, "\n"))
		}
		// All partitions, newest 3 by timestamp: JSON pretty-printed,
		// binary in hex with its size, the huge value truncated.
		body = s.ok("/topics/m/messages?n=3")
		rows = table(t, body, "messages")
		equalRows(t, "all, newest 3", rows[1:], []string{
			`1 | 0 | 2026-03-01 12:00:10.000 | j | { "a": 1, "b": [ true, null ] } json · 23 bytes |`,
			`1 | 1 | 2026-03-01 12:00:11.000 | null | 00000000 00 01 02 ff fe |.....| hex · 5 bytes |`,
			`1 | 2 | 2026-03-01 12:00:12.000 | huge | ` + hexDumpOf(0x80, 512) + ` hex · 100000 bytes · truncated |`,
		})
		if !strings.Contains(body, "<pre class=\"v json\">{\n  &#34;a&#34;: 1,\n  &#34;b&#34;: [\n    true,\n    null\n  ]\n}</pre>") {
			t.Errorf("JSON not pretty-printed:\n%s", body)
		}
		// An override: base64, and text of a binary value falls back to hex.
		rows = table(t, s.ok("/topics/m/messages?partition=1&mode=offset&offset=0&n=2&format=base64"), "messages")
		equalRows(t, "base64", rows[1:], []string{
			`1 | 0 | 2026-03-01 12:00:10.000 | ag== base64 · 1 bytes | eyJhIjoxLCJiIjpbdHJ1ZSxudWxsXX0= base64 · 23 bytes |`,
			`1 | 1 | 2026-03-01 12:00:11.000 | null | AAEC//4= base64 · 5 bytes |`,
		})
		rows = table(t, s.ok("/topics/m/messages?partition=1&mode=offset&offset=1&n=1&format=text"), "messages")
		equalRows(t, "text of binary", rows[1:], []string{
			`1 | 1 | 2026-03-01 12:00:11.000 | null | 00000000 00 01 02 ff fe |.....| hex (not printable text) · 5 bytes |`,
		})

		// Past the end: an empty page that says so.
		code, body := s.get("/topics/m/messages?partition=0&mode=offset&offset=100")
		if code != http.StatusOK || !strings.Contains(body, `<p class="empty" id="empty">Offset 100 is at or past the end: partition 0 ends at 5. No records to show.</p>`) ||
			len(table(t, body, "messages")) != 1 {
			t.Errorf("past the end: %d\n%s", code, body)
		}
		// The live tail starts at each partition's end.
		if !strings.Contains(body, `/topics/m/tail?pos=0:5&amp;format=auto`) {
			t.Errorf("tail position:\n%s", body)
		}
	})
}

func hexDumpOf(b byte, n int) string {
	return text(strings.TrimSpace(hexOf(shown{}, bytes.Repeat([]byte{b}, n)).Text))
}

func TestSearch(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg, func(o *Options) { o.Limits.ScanRecords = 30 })
		s.createTopic("big", 1, nil)
		var recs []*kgo.Record
		for i := range 100 {
			recs = append(recs, &kgo.Record{Topic: "big", Key: fmt.Appendf(nil, "key-%03d", i), Value: fmt.Appendf(nil, "payload %03d", i)})
		}
		s.produce(recs...)
		// A match within the bound.
		body := s.ok("/topics/big/messages?partition=0&q=key-007&in=key")
		rows := table(t, body, "messages")
		if len(rows) != 2 || !strings.HasPrefix(rows[1], "0 | 7 |") || !strings.Contains(body, "Search scanned 30 records") {
			t.Errorf("search key-007:\n%s", body)
		}
		if !strings.Contains(text(body), "Search scanned 30 records (") || !strings.Contains(text(body), "and found 1; it stopped at the scan bound of 30 records ( continue ).") {
			t.Errorf("search stats:\n%s", text(body))
		}
		if !strings.Contains(body, `href="/topics/big/messages?partition=0&amp;mode=offset&amp;offset=30&amp;n=50&amp;format=auto&amp;q=key-007&amp;in=key"`) {
			t.Errorf("no continue link:\n%s", body)
		}
		// Beyond the bound: nothing found, and the page says where it stopped.
		body = text(s.ok("/topics/big/messages?partition=0&q=payload%20099"))
		if !strings.Contains(body, "Search scanned 30 records") || !strings.Contains(body, "found 0; it stopped at the scan bound of 30 records") || !strings.Contains(body, "No record matched.") {
			t.Errorf("search past the bound:\n%s", body)
		}
		// Continuing from offset 90 finds it and reaches the end.
		body = text(s.ok("/topics/big/messages?partition=0&mode=offset&offset=90&q=payload%20099&in=value"))
		if !strings.Contains(body, "Search scanned 10 records") || !strings.Contains(body, "found 1; it reached the end.") {
			t.Errorf("search from 90:\n%s", body)
		}
	})
}

func TestTail(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		seedMessages(s)
		s.produce(&kgo.Record{Topic: "m", Partition: 0, Key: []byte("new"), Value: []byte("tailed"), Timestamp: t0.Add(time.Minute)})
		body := s.ok("/topics/m/tail?pos=0:5,1:3&format=auto")
		rows := []string{}
		for _, r := range trRE.FindAllString(body, -1) {
			rows = append(rows, text(r))
		}
		equalRows(t, "tail", rows, []string{
			"0 5 2026-03-01 12:01:00.000 new tailed",
			"tailing…",
		})
		if !strings.Contains(body, `hx-get="/topics/m/tail?pos=0:6,1:3&amp;format=auto" hx-trigger="every 1s"`) {
			t.Errorf("next poll:\n%s", body)
		}
	})
}

func TestShow(t *testing.T) {
	for _, c := range []struct {
		in     []byte
		format string
		want   shown
	}{
		{nil, "auto", shown{Null: true}},
		{[]byte("plain"), "auto", shown{Format: "text", Text: "plain", Size: 5}},
		{[]byte(" [1,2]"), "auto", shown{Format: "json", Text: "[\n  1,\n  2\n]", Size: 6}},
		{[]byte("{bad"), "json", shown{Format: "text", Text: "{bad", Size: 4, Note: "not JSON"}},
		{[]byte("hi"), "hex", shown{Format: "hex", Text: "00000000  68 69                                             |hi|\n", Size: 2}},
		{[]byte("hi"), "base64", shown{Format: "base64", Text: "aGk=", Size: 2}},
		{bytes.Repeat([]byte("é"), 3000), "auto", shown{Format: "text", Text: strings.Repeat("é", 2048), Size: 6000, Truncated: true}},
	} {
		if got := show(c.in, c.format); got != c.want {
			t.Errorf("show(%q, %s) = %+v, want %+v", c.in, c.format, got, c.want)
		}
	}
}
