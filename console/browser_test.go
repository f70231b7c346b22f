package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/groups"
	"github.com/stratabroker/strata/tools/tooltest"
)

// browser is a headless Chromium (Debian's chromium package) driven by
// chromedp, collecting every console error, uncaught exception and
// browser log error (CSP violations, failed loads).
type browser struct {
	t    *testing.T
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser tests skipped: chromium is not installed (apt-get install chromium; scripts/deps.sh installs it)")
	return ""
}

func newBrowser(t *testing.T) *browser {
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() }) // stops chromium
	b := &browser{t: t, ctx: ctx}
	// The first Run starts the browser: no timeout on it (it would stop
	// the browser); a watchdog bounds it instead.
	watchdog := time.AfterFunc(time.Minute, cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	watchdog.Stop()
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				b.mu.Lock()
				b.errs = append(b.errs, m.String()+" "+m.URL)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs steps, each call bounded by a minute.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// errors returns and clears the errors seen so far.
func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errs
	b.errs = nil
	return e
}

// visit loads url and fails on any error the page logged.
func (b *browser) visit(url string, allowed ...string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")), chromedp.Sleep(300*time.Millisecond))
	var bad []string
outer:
	for _, e := range b.errors() {
		for _, a := range allowed {
			if strings.Contains(e, a) {
				continue outer
			}
		}
		bad = append(bad, e)
	}
	if len(bad) > 0 {
		b.t.Errorf("%s: console errors:\n%s", url, strings.Join(bad, "\n"))
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, chromedp.Text(chromedp.CSS(sel)))
}

// screenshot writes docs/console/<name>.png when STRATA_SCREENSHOTS=1.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("STRATA_SCREENSHOTS") != "1" {
		return
	}
	png := get(b, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "docs", "console")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (scripts/deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// waitText waits (bounded by the browser's context) until the element sel
// contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	js := fmt.Sprintf(`(document.querySelector(%q)?.textContent || "").includes(%q)`, sel, want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		b.t.Fatalf("%s never showed %q: %v\n%s", sel, want, err, b.text(sel))
	}
}

func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	tg := tooltest.StartStrata(t)
	s := startSite(t, tg, func(o *Options) { o.SampleInterval = 300 * time.Millisecond })
	ctx := tooltest.Ctx(t)
	s.createTopic("orders", 3, map[string]*string{"retention.ms": str("86400000")})
	s.createTopic("events", 1, nil)
	for i := range 12 {
		s.produce(recordJSON("orders", int32(i%3), i))
	}
	s.commit("billing", map[int32]int64{0: 2, 1: 4, 2: 1})
	s.commit("live", map[int32]int64{0: 1})
	s.stable("live") // a group with a member, for the group page

	t.Run("pages", func(t *testing.T) {
		b.t = t
		for _, p := range []struct{ path, shot, h1 string }{
			{"/", "overview", "Overview"},
			{"/topics", "topics", "Topics"},
			{"/topics/orders", "topic", "Topic orders"},
			{"/topics/orders/messages", "messages", "Messages of orders"},
			{"/groups", "groups", "Consumer groups"},
			{"/groups/live", "group", "Group live"},
			{"/topics/orders/produce", "", "Produce to orders"},
			{"/new-topic", "", "Create topic"},
			{"/groups/billing/reset", "", "Reset offsets of billing"},
			{"/topics/orders/delete", "", "Delete topic orders"},
		} {
			b.visit(s.web.URL + p.path)
			if h := b.text("h1"); h != p.h1 {
				t.Errorf("%s: h1 %q, want %q", p.path, h, p.h1)
			}
			if p.shot != "" {
				b.screenshot(p.shot)
			}
		}
		// A 404 page is a page too; its one error, the 404 itself, shows
		// that errors are caught.
		b.do(chromedp.Navigate(s.web.URL+"/topics/nope"), chromedp.WaitReady(chromedp.CSS("body")), chromedp.Sleep(300*time.Millisecond))
		if e := b.errors(); len(e) != 1 || !strings.Contains(e[0], "404") {
			t.Errorf("the 404 page logged %q, want its 404", e)
		}
		if h := b.text("h1"); h != "404 Not Found" {
			t.Errorf("404 page h1 %q", h)
		}
		// The overview's chart is refreshed by htmx once samples exist;
		// records produced meanwhile draw a curve.
		b.visit(s.web.URL + "/")
		for i := range 15 {
			var recs []*kgoRecord
			for j := range 10 * (1 + i%5) {
				recs = append(recs, recordJSON("events", 0, j))
			}
			s.produce(recs...)
			time.Sleep(150 * time.Millisecond) // a load over time for the chart, not a synchronisation
		}
		b.waitText("#rates", "produced")
		b.visit(s.web.URL + "/")
		// The screenshot shows a data directory as a deployment has one,
		// not the test's temporary one.
		get(b, chromedp.Evaluate[int](`document.querySelectorAll("#logdirs code").forEach(c => c.textContent = "/var/lib/strata/data"); 0`))
		b.screenshot("overview")
		if e := b.errors(); len(e) > 0 {
			t.Errorf("errors on the overview while htmx polled:\n%s", strings.Join(e, "\n"))
		}
	})

	t.Run("kcat to browser and tail", func(t *testing.T) {
		b.t = t
		kcat(t, "k1:from kcat\n", "-P", "-b", tg.Addr, "-t", "events", "-p", "0", "-K", ":", "-H", "origin=kcat")
		b.visit(s.web.URL + "/topics/events/messages?partition=0&n=1")
		rows := table(t, outerHTML(b, "#messages"), "messages")
		if len(rows) != 2 || !strings.HasPrefix(rows[1], "0 | 450 | ") || !strings.HasSuffix(rows[1], "| k1 | from kcat | origin : kcat") {
			t.Fatalf("kcat's record in the browser:\n%s", strings.Join(rows, "\n"))
		}
		b.do(chromedp.Click(chromedp.CSS(`#tail-start button`)))
		b.waitText("#tail", "tailing")
		kcat(t, "k2:tailed by the browser\n", "-P", "-b", tg.Addr, "-t", "events", "-p", "0", "-K", ":")
		b.waitText("#tail", "tailed by the browser")
		rows = table(t, outerHTML(b, "#tail"), "tail")
		if len(rows) != 3 || !strings.HasPrefix(rows[1], "0 | 451 | ") || !strings.HasSuffix(rows[1], "| k2 | tailed by the browser |") {
			t.Errorf("tail:\n%s", strings.Join(rows, "\n"))
		}
		if e := b.errors(); len(e) > 0 {
			t.Errorf("errors while tailing:\n%s", strings.Join(e, "\n"))
		}
	})

	t.Run("browser to kcat", func(t *testing.T) {
		b.t = t
		b.visit(s.web.URL + "/topics/orders/produce")
		b.do(
			chromedp.SetValue(chromedp.CSS(`select[name=partition]`), "1"),
			chromedp.SendKeys(chromedp.CSS(`input[name=key]`), "ui-key"),
			chromedp.SendKeys(chromedp.CSS(`textarea[name=value]`), "made in the browser"),
			chromedp.SendKeys(chromedp.CSS(`textarea[name=headers]`), "source=ui"),
			chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		)
		if n := b.text("p.notice"); n != "Record produced." {
			t.Errorf("notice %q", n)
		}
		out := kcat(t, "", "-C", "-b", tg.Addr, "-t", "orders", "-p", "1", "-o", "4", "-c", "1", "-e", "-q", "-f", "%k|%s|%h|%o\n")
		if out != "ui-key|made in the browser|source=ui|4\n" {
			t.Errorf("kcat read %q", out)
		}
	})

	t.Run("reset seen by consumer-groups", func(t *testing.T) {
		b.t = t
		b.visit(s.web.URL + "/groups/billing/reset")
		b.do(
			chromedp.SetValue(chromedp.CSS(`select[name=strategy]`), "latest"),
			chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#plan`)),
		)
		plan := table(t, outerHTML(b, "#plan"), "plan")
		equalRows(t, "plan", plan, []string{
			"Topic | Partition | Current | New",
			"orders | 0 | 2 | 4",
			"orders | 1 | 4 | 5",
			"orders | 2 | 1 | 4",
		})
		b.do(chromedp.Click(chromedp.CSS(`form button.danger`)), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
		r := tooltest.Run(t, cli.Dispatcher(groups.Commands), &cli.Env{}, "consumer-groups", "--bootstrap-server", tg.Addr, "--describe", "--group", "billing")
		if r.Code != 0 {
			t.Fatalf("consumer-groups: %d %s", r.Code, r.Stderr)
		}
		var lines []string
		for _, l := range strings.Split(r.Stdout, "\n") {
			if f := strings.Fields(l); len(f) >= 6 && f[0] == "billing" {
				lines = append(lines, strings.Join(f[1:6], " "))
			}
		}
		equalRows(t, "consumer-groups --describe", lines, []string{
			"orders 0 4 4 0",
			"orders 1 5 5 0",
			"orders 2 4 4 0",
		})
	})

	t.Run("forged posts", func(t *testing.T) {
		b.t = t
		// From the console's own page but without the token.
		b.visit(s.web.URL + "/topics")
		status := get(b, chromedp.Evaluate[int](`fetch("/topics/events/delete", {method: "POST", body: new URLSearchParams({confirm: "events"})}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("a POST without the token: %d", status)
		}
		// From another origin: an auto-submitting form on a page of its own.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/topics/events/delete"><input name="confirm" value="events"></form><script>document.forms[0].submit()</script>`, s.web.URL)
		}))
		defer evil.Close()
		b.do(chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS(`p.error`)))
		if e := b.text("p.error"); !strings.Contains(e, "cross-origin request refused") {
			t.Errorf("the cross-origin form got %q", e)
		}
		b.errors()
		if md, _ := s.adm.Metadata(ctx, "events"); md.Topics["events"].Err != nil {
			t.Fatalf("events was deleted by a forged POST")
		}
	})

	t.Run("read-only", func(t *testing.T) {
		b.t = t
		ro := startSite(t, tg, func(o *Options) { o.ReadOnly = true })
		b.visit(ro.web.URL + "/topics/events")
		buttons := get(b, chromedp.Evaluate[int](`document.querySelectorAll("form[method=post], a[href$='/delete'], a[href$='/produce']").length`))
		if buttons != 0 {
			t.Errorf("read-only page shows %d write actions", buttons)
		}
		status := get(b, chromedp.Evaluate[int](`fetch("/topics/events/partitions/0/purge", {method: "POST"}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("read-only purge: %d", status)
		}
		b.errors()
		if st, _ := s.adm.ListStartOffsets(ctx, "events"); st["events"][0].Offset != 0 {
			t.Errorf("events purged in read-only mode: log start %d", st["events"][0].Offset)
		}
	})
}

var outerRE = regexp.MustCompile(`^<table id="`)

// outerHTML is the HTML of the element sel, as the browser has it now.
func outerHTML(b *browser, sel string) string {
	b.t.Helper()
	h := get(b, chromedp.OuterHTML(chromedp.CSS(sel)))
	if !outerRE.MatchString(h) {
		b.t.Fatalf("%s is not a table: %.100s", sel, h)
	}
	return h
}

func recordJSON(topic string, p int32, i int) *kgoRecord {
	return &kgoRecord{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "order-%d", i),
		Value: fmt.Appendf(nil, `{"order":%d,"amount":%d.50,"currency":"EUR"}`, i, 10+i)}
}
