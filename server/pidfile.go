package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/stratabroker/strata/internal/vfs"
)

// PIDFile is the file in each log dir that names the process owning the
// dir: its decimal pid and a newline, nothing else. The broker writes it
// once it holds the dir's lock (<dir>/.lock) and removes it when it shuts
// down; `strata server-stop` (kafka-server-stop.sh) finds the brokers to
// stop by it, checking that the process it names holds the dir's .lock
// open, so a pid file is never trusted on its own.
//
// A broker killed with SIGKILL, or a power failure, leaves the file behind.
// Such a file is stale (its process is gone, or the pid has been reused by
// a process that does not hold the lock) and the next broker to take the
// dir overwrites it. For the same reason the removal is not made durable
// (no directory fsync on the shutdown path): a file that comes back after
// a crash is stale, and stale files are harmless.
const PIDFile = "strata.pid"

// writePIDFiles writes PIDFile into every dir, which the server must have
// locked, crash-safely (temp, fsync, rename, fsync dir): a reader sees
// either the old file or the whole new one. The dirs are remembered for
// removePIDFiles, including those written before a failure.
func (s *Server) writePIDFiles(dirs []string) error {
	body := []byte(strconv.Itoa(os.Getpid()) + "\n")
	for _, dir := range dirs {
		s.pidDirs = append(s.pidDirs, dir)
		if err := vfs.WriteFileAtomic(s.fs, dir, PIDFile, body); err != nil {
			return fmt.Errorf("server: write %s: %w", filepath.Join(dir, PIDFile), err)
		}
	}
	return nil
}

// removePIDFiles removes the pid files writePIDFiles wrote. A file already
// gone is not an error.
func (s *Server) removePIDFiles() error {
	var errs []error
	for _, dir := range s.pidDirs {
		err := s.fs.Remove(filepath.Join(dir, PIDFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("server: remove %s: %w", filepath.Join(dir, PIDFile), err))
		}
	}
	s.pidDirs = nil
	return errors.Join(errs...)
}
