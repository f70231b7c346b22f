package segment

import (
	"path/filepath"
	"strconv"
	"strings"
)

// File name suffixes, Kafka's.
const (
	LogSuffix       = ".log"
	IndexSuffix     = ".index"
	TimeIndexSuffix = ".timeindex"
	// DeletedSuffix is appended to the three file names by Delete, at once,
	// so that a restart never mistakes a deleted segment for a live one
	// (Kafka's ".deleted"). The files are removed when the last reader
	// releases the segment; files still carrying the suffix after a crash
	// are garbage for the partition to remove.
	DeletedSuffix = ".deleted"
	// CleanedSuffix and SwapSuffix mark the files of a segment the log
	// cleaner is writing (".cleaned") and of one that replaces older
	// segments once renamed (".swap"): Kafka's names and protocol
	// (LocalLog.replaceSegments); the partition's Open finishes or discards
	// what a crash left (package partition).
	CleanedSuffix = ".cleaned"
	SwapSuffix    = ".swap"
)

// nameDigits is the width of the zero-padded base offset in file names.
const nameDigits = 20

// fileName is the base offset zero-padded to 20 digits, then suffix.
func fileName(base int64, suffix string) string {
	d := strconv.FormatInt(base, 10)
	if len(d) < nameDigits {
		d = strings.Repeat("0", nameDigits-len(d)) + d
	}
	return d + suffix
}

// LogPath is the path of the .log file of the segment with base offset base
// in dir: dir/00000000000000000042.log.
func LogPath(dir string, base int64) string { return filepath.Join(dir, fileName(base, LogSuffix)) }

// IndexPath is the path of the segment's offset index (.index).
func IndexPath(dir string, base int64) string { return filepath.Join(dir, fileName(base, IndexSuffix)) }

// TimeIndexPath is the path of the segment's time index (.timeindex).
func TimeIndexPath(dir string, base int64) string {
	return filepath.Join(dir, fileName(base, TimeIndexSuffix))
}

// ParseLogName returns the base offset of a segment's .log file name (not
// a path): exactly 20 decimal digits followed by ".log". Any other name,
// such as "00000000000000000042.log.deleted", gives ok == false.
func ParseLogName(name string) (base int64, ok bool) {
	digits, found := strings.CutSuffix(name, LogSuffix)
	if !found || len(digits) != nameDigits {
		return 0, false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil { // more than math.MaxInt64
		return 0, false
	}
	return v, true
}
