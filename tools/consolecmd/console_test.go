package consolecmd

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch = cli.Dispatcher(Commands)

func TestBadInput(t *testing.T) {
	props := filepath.Join(t.TempDir(), "client.properties")
	os.WriteFile(props, []byte("security.protocol=PLAINTEXT\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"console", "--bootstrap-server", ""}, 2, "--bootstrap-server is required"},
		{[]string{"console", "--bogus"}, 2, "bogus"},
		{[]string{"console", "--bootstrap-server", "127.0.0.1:1", "--command-config", filepath.Join(t.TempDir(), "none")}, 2, "--command-config"},
		{[]string{"console", "--bootstrap-server", "127.0.0.1:1", "--command-config", props}, 1, "127.0.0.1:1"},
	} {
		r := tooltest.Run(t, dispatch, &cli.Env{ReachTimeout: time.Second}, c.args...)
		if r.Code != c.code || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, r.Code, r.Stderr, c.code, c.err)
		}
	}
	// A listen address in use.
	tg := tooltest.StartKfake(t)
	r := tooltest.Run(t, dispatch, &cli.Env{}, "console", "--bootstrap-server", tg.Addr, "--listen", tg.Addr)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--listen") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("listen in use: exit %d, %q", r.Code, r.Stderr)
	}
}

// TestServes: `strata console` serves the console of the cluster until a
// signal, then exits 0.
func TestServes(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		pr, pw := io.Pipe()
		sig := make(chan os.Signal, 1)
		e := &cli.Env{Stdout: pw, Signals: sig}
		done := make(chan int, 1)
		go func() {
			done <- dispatch([]string{"console", "--bootstrap-server", tg.Addr, "--listen", "127.0.0.1:0", "--read-only"}, e)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, pr)
		prefix := "Strata console of " + tg.Addr + " on "
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("first line %q", line)
		}
		url := strings.TrimSpace(strings.TrimPrefix(line, prefix))
		resp, err := http.Get(url + "/topics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<h1>Topics</h1>") || !strings.Contains(string(b), "read-only") {
			t.Errorf("GET /topics: %d\n%s", resp.StatusCode, b)
		}
		sig <- syscall.SIGTERM
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exit %d", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no exit after SIGTERM")
		}
	})
}
