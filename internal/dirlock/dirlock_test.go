package dirlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAcquireTwiceInProcess(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("Failed to acquire lock on file .lock in %s. A Kafka instance in another process or thread (pid %d) is using this directory", dir, os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
	if got := Holder(dir); got != os.Getpid() {
		t.Fatalf("Holder = %d, want %d", got, os.Getpid())
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Unlock: %v", err)
	}
	l2.Unlock()
}

func TestAcquireAllReleasesOnFailure(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	lb, err := Acquire(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireAll([]string{a, b}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), b) {
		t.Fatalf("AcquireAll: %v, want ErrLocked naming %s", err, b)
	}
	la, err := Acquire(a) // released by the failed AcquireAll
	if err != nil {
		t.Fatalf("Acquire(a) after failed AcquireAll: %v", err)
	}
	UnlockAll([]*Lock{la, lb})
}

func TestAcquireMissingDir(t *testing.T) {
	_, err := Acquire(filepath.Join(t.TempDir(), "nope"))
	if err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("Acquire of a missing dir: %v", err)
	}
}

// TestHelperHolder is the child process of TestKilledHolder: it takes the
// lock, says so, and waits to be killed.
func TestHelperHolder(t *testing.T) {
	dir := os.Getenv("DIRLOCK_HELPER_DIR")
	if dir == "" {
		t.Skip("child process of TestKilledHolder")
	}
	if _, err := Acquire(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestKilledHolder(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHolder$")
	cmd.Env = append(os.Environ(), "DIRLOCK_HELPER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	_, err = Acquire(dir)
	want := fmt.Sprintf("(pid %d) is using this directory", cmd.Process.Pid)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Acquire beside a live holder: %v, want ErrLocked with %q", err, want)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := Acquire(dir) // the kernel dropped the lock with the process
	if err != nil {
		t.Fatalf("Acquire after kill -9 of the holder: %v", err)
	}
	if got := Holder(dir); got != os.Getpid() {
		t.Fatalf("Holder = %d, want %d", got, os.Getpid())
	}
	l.Unlock()
}
