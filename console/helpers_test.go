package console

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/tooltest"
)

// site is a console under test: its server, a browser-like client (a
// cookie jar, no redirects followed) and an admin client of the cluster.
type site struct {
	t   *testing.T
	srv *Server
	web *httptest.Server
	hc  *http.Client
	adm *kadm.Client
	cl  *kgo.Client
	tg  tooltest.Target
}

func startSite(t *testing.T, tg tooltest.Target, mod ...func(*Options)) *site {
	t.Helper()
	o := Options{Seeds: []string{tg.Addr}, Info: Info{Version: "test", Started: time.Now().Add(-time.Minute)}}
	for _, m := range mod {
		m(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	web := httptest.NewServer(srv)
	t.Cleanup(web.Close)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cl := tooltest.Client(t, tg.Addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	return &site{t: t, srv: srv, web: web, hc: hc, adm: kadm.NewClient(cl), cl: cl, tg: tg}
}

func (s *site) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.hc.Get(s.web.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// ok GETs path and fails unless it is 200.
func (s *site) ok(path string) string {
	s.t.Helper()
	code, body := s.get(path)
	if code != http.StatusOK {
		s.t.Fatalf("GET %s: %d\n%s", path, code, text(body[max(0, strings.Index(body, "<main>")):]))
	}
	return body
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token from a form page.
func (s *site) token(path string) string {
	s.t.Helper()
	m := csrfRE.FindStringSubmatch(s.ok(path))
	if m == nil {
		s.t.Fatalf("GET %s: no CSRF token", path)
	}
	return m[1]
}

// post submits a form; it returns the status, the Location and the body.
func (s *site) post(path string, form url.Values) (int, string, string) {
	s.t.Helper()
	resp, err := s.hc.PostForm(s.web.URL+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (s *site) produce(recs ...*kgo.Record) {
	s.t.Helper()
	if err := s.cl.ProduceSync(tooltest.Ctx(s.t), recs...).FirstErr(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) createTopic(name string, parts int32, configs map[string]*string) {
	s.t.Helper()
	resp, err := s.adm.CreateTopic(tooltest.Ctx(s.t), parts, 1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		s.t.Fatal(err)
	}
}

var (
	trRE   = regexp.MustCompile(`(?s)<tr[ >].*?</tr>`)
	cellRE = regexp.MustCompile(`(?s)<t[dh](?:\s[^>]*)?>(.*?)</t[dh]>`)
	tagRE  = regexp.MustCompile(`(?s)<[^>]*>`)
	wsRE   = regexp.MustCompile(`\s+`)
)

// table returns the rows of the table with id, each as its cells' text
// joined by " | " (the header row included).
func table(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no table %s in\n%s", id, body)
	}
	end := strings.Index(body[i:], "</table>")
	var out []string
	for _, tr := range trRE.FindAllString(body[i:i+end], -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(tr, -1) {
			cells = append(cells, text(c[1]))
		}
		out = append(out, strings.TrimSpace(strings.Join(cells, " | ")))
	}
	return out
}

// text is HTML without its tags, whitespace collapsed.
func text(h string) string {
	return strings.TrimSpace(wsRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(h, " ")), " "))
}

func equalRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func str(s string) *string { return &s }

func ctxTimeout(ctx context.Context, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(ctx, d)
	_ = cancel // released when it expires
	return c
}

type kadmConfig = kadm.Config

type kgoRecord = kgo.Record
