package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var consoleRE = regexp.MustCompile(`msg=listening listener=HTTP what=console\S* addr=(http://\S+)`)

// TestEmbeddedConsole: the broker serves the console on console.listeners,
// a client of the broker's own listener over loopback even when the
// metadata advertises an address nobody can reach; console.read.only
// refuses writes.
func TestEmbeddedConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "broker", "--listeners", "PLAINTEXT://127.0.0.1:0",
		"--advertised.listeners", "PLAINTEXT://unreachable.invalid:9092", "--log.dirs", t.TempDir(),
		"--console.listeners", "http://127.0.0.1:0", "--console.read.only", "true")
	cmd.Env = append(os.Environ(), "STRATA_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	urls := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := consoleRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(urls)
	}()
	url, ok := <-urls
	if !ok {
		t.Fatal("the broker exited before serving the console")
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/")
	for _, want := range []string{`<dd id="node-id">1</dd>`, "<dt>Broker uptime</dt>", "this broker", `<span class="badge ro">read-only</span>`,
		"<code>PLAINTEXT://127.0.0.1:0</code>"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET /: %d, no %s\n%s", code, want, body)
		}
	}
	resp, err := http.PostForm(url+"/new-topic", map[string][]string{"name": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /new-topic on a read-only console: %d", resp.StatusCode)
	}
	if code, body := get("/topics/x"); code != http.StatusNotFound {
		t.Errorf("topic x after a refused create: %d\n%s", code, body)
	}
}
