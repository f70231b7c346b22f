package process

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The on-disk names shared with the broker (internal/dirlock, server).
const (
	lockFile = ".lock"           // internal/dirlock.FileName
	pidFile  = "strata.pid"      // server.PIDFile
	metaFile = "meta.properties" // server's meta.properties
)

// ErrNoProc reports a system without /proc, where brokers cannot be found.
var ErrNoProc = errors.New("finding brokers needs /proc (Linux)")

// Broker is a broker process of this binary found on this machine.
type Broker struct {
	PID     int
	LogDirs []string // the log dirs it holds, in the order it locked them
	NodeID  int32    // node.id of its first log dir's meta.properties; -1 if unknown
	Roles   []string // process.roles of meta.properties, else broker and controller
}

// finder looks for brokers under a /proc file system.
type finder struct {
	proc string // "/proc"
	exe  string // the binary the brokers run
	self int    // our own pid, never a match
}

// find returns the brokers that run f.exe, in pid order.
func (f finder) find() ([]Broker, error) {
	if _, err := os.Stat(filepath.Join(f.proc, "self")); err != nil {
		return nil, ErrNoProc
	}
	exe, err := os.Stat(f.exe)
	if err != nil {
		return nil, fmt.Errorf("this binary: %w", err)
	}
	ents, err := os.ReadDir(f.proc)
	if err != nil {
		return nil, err
	}
	var out []Broker
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || pid == f.self {
			continue
		}
		if !f.runs(pid, exe) {
			continue
		}
		dirs := f.heldDirs(pid)
		if len(dirs) == 0 {
			continue // a tool of this binary, not a broker
		}
		b := Broker{PID: pid, LogDirs: dirs, NodeID: -1, Roles: []string{"broker", "controller"}}
		meta := readProps(filepath.Join(dirs[0], metaFile))
		if v, ok := meta["node.id"]; ok {
			if n, err := strconv.ParseInt(v, 10, 32); err == nil {
				b.NodeID = int32(n)
			}
		}
		if v, ok := meta["process.roles"]; ok && strings.TrimSpace(v) != "" {
			b.Roles = splitRoles(v)
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Broker) int { return a.PID - b.PID })
	return out, nil
}

// runs reports whether process pid runs the binary exe: /proc/<pid>/exe is
// the same file, or names the binary's path marked deleted (the binary was
// rebuilt after the process started). Processes we may not inspect do not
// run it as far as we can tell.
func (f finder) runs(pid int, exe os.FileInfo) bool {
	link := filepath.Join(f.proc, strconv.Itoa(pid), "exe")
	if st, err := os.Stat(link); err == nil && os.SameFile(st, exe) {
		return true
	}
	target, err := os.Readlink(link)
	return err == nil && target == f.exe+" (deleted)"
}

// heldDirs returns the dirs whose .lock process pid holds open and whose
// strata.pid names pid, in descriptor order (the order the broker locked
// them: the order of log.dirs).
func (f finder) heldDirs(pid int) []string {
	fdDir := filepath.Join(f.proc, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		return nil
	}
	type held struct {
		fd  int
		dir string
	}
	var found []held
	want := strconv.Itoa(pid) + "\n"
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil || filepath.Base(target) != lockFile || !filepath.IsAbs(target) {
			continue
		}
		dir := filepath.Dir(target)
		if b, err := os.ReadFile(filepath.Join(dir, pidFile)); err == nil && string(b) == want {
			found = append(found, held{fd, dir})
		}
	}
	slices.SortFunc(found, func(a, b held) int { return a.fd - b.fd })
	dirs := make([]string, 0, len(found))
	for _, h := range found {
		if !slices.Contains(dirs, h.dir) {
			dirs = append(dirs, h.dir)
		}
	}
	return dirs
}

// readProps reads the key=value lines of a small properties file (comments
// and blank lines skipped); a missing or unreadable file gives none.
func readProps(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 64<<10 {
		return nil
	}
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			props[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return props
}

// splitRoles splits a process.roles value into its sorted roles.
func splitRoles(v string) []string {
	var roles []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	slices.Sort(roles)
	return roles
}
