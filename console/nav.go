package console

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// navEntry is one section of the left navigation.
type navEntry struct {
	Name    string
	Path    string // "" while the section is coming
	Section string
	Coming  string // the issue that brings it, shown as "coming"
}

// sections is the navigation, one row per section. A section whose page
// is built has a Path; one still to come is listed, greyed, with no
// link. needs names the API key the section's page requires: a built
// section is hidden when the cluster does not advertise it (ApiVersions,
// asked at most once a minute), so a page for transactions or share
// groups does not show against a cluster without them.
var sections = []struct {
	navEntry
	needs int16 // -1: always shown
}{
	{navEntry{Name: "Overview", Path: "/", Section: "overview"}, -1},
	{navEntry{Name: "Topics", Path: "/topics", Section: "topics"}, int16(kmsg.Metadata)},
	{navEntry{Name: "Consumer groups", Path: "/groups", Section: "groups"}, int16(kmsg.ListGroups)},
	{navEntry{Name: "Brokers & replicas", Section: "brokers", Coming: "coming"}, int16(kmsg.DescribeCluster)},
	{navEntry{Name: "Transactions", Path: "/transactions", Section: "transactions"}, int16(kmsg.ListTransactions)},
	{navEntry{Name: "ACLs & users", Path: "/acls", Section: "acls"}, int16(kmsg.DescribeACLs)},
	{navEntry{Name: "Quotas & users", Path: "/quotas", Section: "quotas"}, int16(kmsg.DescribeClientQuotas)},
	{navEntry{Name: "Share groups", Section: "share-groups", Coming: "coming"}, int16(kmsg.ShareGroupDescribe)},
}

func (s *Server) nav(ctx context.Context) []navEntry {
	keys := s.apiKeys(ctx)
	out := make([]navEntry, 0, len(sections))
	for _, e := range sections {
		if e.Path != "" && e.needs >= 0 && keys != nil && !keys[e.needs] {
			continue
		}
		out = append(out, e.navEntry)
	}
	return out
}

// apiKeys is the set of keys the cluster advertises (nil: unknown).
func (s *Server) apiKeys(ctx context.Context) map[int16]bool {
	s.navMu.Lock()
	defer s.navMu.Unlock()
	if s.navKeys != nil && time.Since(s.navAt) < time.Minute {
		return s.navKeys
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, s.cl)
	if err != nil || resp.ErrorCode != 0 {
		return s.navKeys
	}
	keys := make(map[int16]bool, len(resp.ApiKeys))
	for _, k := range resp.ApiKeys {
		keys[k.ApiKey] = true
	}
	s.navKeys, s.navAt = keys, time.Now()
	return keys
}

var funcs = template.FuncMap{
	"bytes":  humanBytes,
	"num":    groupDigits,
	"ms":     humanMillis,
	"time":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") },
	"add":    func(a, b int) int { return a + b },
	"sub":    func(a, b int64) int64 { return a - b },
	"msAge":  func(ms int32) string { return humanAge(time.Duration(ms) * time.Millisecond) },
	"pct":    func(a, b int64) int64 { return percent(a, b) },
	"query":  queryString,
	"sortBy": sortLink,
	"arrow":  sortArrow,
	"seg":    url.PathEscape, // a group name (any string) as one path segment
}

func percent(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return a * 100 / b
}

// humanBytes is a size as "1.5 MiB" (exact bytes below 1 KiB).
func humanBytes(n int64) string {
	if n < 0 {
		return "-"
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n) / 1024
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// humanMillis is a retention in ms as Kafka's users read it.
func humanMillis(v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return v
	}
	switch {
	case n < 0:
		return "forever"
	case n%(24*3600*1000) == 0:
		return strconv.FormatInt(n/(24*3600*1000), 10) + "d"
	case n%(3600*1000) == 0:
		return strconv.FormatInt(n/(3600*1000), 10) + "h"
	case n%60000 == 0:
		return strconv.FormatInt(n/60000, 10) + "m"
	}
	return strconv.FormatInt(n, 10) + "ms"
}

// queryString builds "?k=v&..." from pairs, skipping empty values.
func queryString(pairs ...string) template.URL {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(urlEscape(pairs[i]) + "=" + urlEscape(pairs[i+1]))
	}
	return template.URL(b.String())
}

func parsePages() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n.Name() == "layout.html" {
			continue
		}
		t, err := template.New(n.Name()).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n.Name())
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n.Name(), err)
		}
		out[n.Name()] = t
	}
	return out, nil
}

// BuildVersion is the module version the binary was built from.
func BuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
