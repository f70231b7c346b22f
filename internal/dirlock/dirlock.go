package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileName is the lock file in a locked directory (Kafka's name).
const FileName = ".lock"

// ErrLocked reports a directory that another owner holds.
var ErrLocked = errors.New("dirlock: directory is locked")

// Lock is one held directory lock.
type Lock struct {
	dir string
	f   *os.File
}

// Acquire takes the lock of dir, which must exist. If another process (or
// another Lock of this process) holds it, the error wraps ErrLocked and
// names the directory and, when .lock records one, the holder's pid.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dirlock: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if !errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("dirlock: lock %s: %w", path, err)
		}
		holder := ""
		if pid := Holder(dir); pid > 0 {
			holder = fmt.Sprintf(" (pid %d)", pid)
		}
		return nil, fmt.Errorf("%w: Failed to acquire lock on file %s in %s. A Kafka instance in another process or thread%s is using this directory",
			ErrLocked, FileName, dir, holder)
	}
	// The lock is ours: record who holds it. A failure here leaves the lock
	// held and only the message poorer.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{dir: dir, f: f}, nil
}

// Holder returns the pid recorded in dir's .lock, or 0 when there is none.
// The recorded pid may belong to a process that has ended: only a failed
// Acquire tells that the lock is held.
func Holder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// Dir is the locked directory.
func (l *Lock) Dir() string { return l.dir }

// Unlock releases the lock. The .lock file stays, as Kafka's does.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}

// AcquireAll locks every directory in dirs, in order. On a failure the
// locks taken so far are released and the error names the directory that
// failed.
func AcquireAll(dirs []string) ([]*Lock, error) {
	locks := make([]*Lock, 0, len(dirs))
	for _, d := range dirs {
		l, err := Acquire(d)
		if err != nil {
			UnlockAll(locks)
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// UnlockAll releases every lock of locks.
func UnlockAll(locks []*Lock) error {
	var errs []error
	for _, l := range locks {
		errs = append(errs, l.Unlock())
	}
	return errors.Join(errs...)
}
