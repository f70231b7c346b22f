package logs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

const dumpLogUsage = `Usage: strata dump-log --files F1,F2,... [flags]

Prints segment files (.log, .index, .timeindex, .txnindex) as kafka-dump-log.sh does,
reading the files directly: no broker is needed. The active .log of a running
broker may end in preallocated zeros; the dump stops there and says so.

Flags:
  --files F1,F2            the files to dump (required)
  --print-data-log         print each record's key and payload (implies --deep-iteration)
  --offsets-decoder        decode __consumer_offsets records (commits, group metadata) as JSON
                           (implies --print-data-log)
  --deep-iteration         print every record, not only the batch headers
  --verify-index-only      check index entries against the log, print only mismatches
  --index-sanity-check     only check that each index is well formed
  --max-message-size N     the largest batch read, in bytes (default 67108864)
  --repair                 for each segment named (any of its files): copy what Recover
                           would cut (a torn or garbled tail) to <log>.broken, then cut it
                           and rebuild both indexes with the segment package's Recover.
                           Refused while a broker holds the segment's log dir.
  --index-interval-bytes N the broker's index.interval.bytes, for --repair (default 4096)

Exit status: 0 if every file was read cleanly, 1 if a file is corrupt (invalid
bytes, a bad CRC, index mismatches) or could not be read, 2 on a bad command line.
`

func runDumpLog(args []string, e *cli.Env) int {
	f := cli.NewFlags("dump-log", dumpLogUsage)
	files := f.String("files", "", "")
	printData := f.Bool("print-data-log", false, "")
	offsetsDecoder := f.Bool("offsets-decoder", false, "")
	deep := f.Bool("deep-iteration", false, "")
	verifyOnly := f.Bool("verify-index-only", false, "")
	sanityOnly := f.Bool("index-sanity-check", false, "")
	maxMsg := f.Int("max-message-size", 64<<20, "")
	repair := f.Bool("repair", false, "")
	interval := f.Int("index-interval-bytes", segment.DefaultIndexIntervalBytes, "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	list := cli.SplitList(*files)
	if len(list) == 0 {
		return f.UsageError(e, "--files is required")
	}
	if *maxMsg < recordbatch.HeaderSize {
		return f.UsageError(e, "--max-message-size must be at least %d", recordbatch.HeaderSize)
	}
	if *interval < 1 {
		return f.UsageError(e, "--index-interval-bytes must be at least 1")
	}
	d := &dumper{e: e, out: bufio.NewWriterSize(e.Stdout, 64<<10), printData: *printData || *offsetsDecoder,
		offsetsDecoder: *offsetsDecoder, deep: *deep || *printData || *offsetsDecoder,
		verifyOnly: *verifyOnly, sanityOnly: *sanityOnly, maxBatch: *maxMsg}
	defer d.out.Flush()
	if *repair {
		return d.repairAll(list, *interval)
	}
	for _, file := range list {
		fmt.Fprintf(d.out, "Dumping %s\n", file)
		var err error
		switch filepath.Ext(file) {
		case segment.LogSuffix:
			err = d.dumpLog(file)
		case segment.IndexSuffix:
			err = d.dumpIndex(file)
		case segment.TimeIndexSuffix:
			err = d.dumpTimeIndex(file)
		case segment.TxnIndexSuffix:
			err = d.dumpTxnIndex(file)
		default:
			d.out.Flush()
			fmt.Fprintf(e.Stderr, "Ignoring unknown file %s\n", file)
			continue
		}
		if err != nil {
			d.out.Flush()
			fmt.Fprintf(e.Stderr, "strata dump-log: %s: %v\n", file, err)
			d.problems++
		}
	}
	d.out.Flush()
	d.printErrors()
	if d.problems > 0 {
		return cli.ExitError
	}
	return cli.ExitOK
}

type pair struct{ a, b int64 }

type dumper struct {
	e                                         *cli.Env
	out                                       *bufio.Writer
	printData, deep, verifyOnly, sanityOnly   bool
	offsetsDecoder                            bool // __consumer_offsets records as JSON
	maxBatch                                  int
	problems                                  int
	indexMismatches                           []fileErrs // Kafka's misMatchesForIndexFilesMap
	timeMismatches, outOfOrder, shallowMissed []fileErrs
	nonConsecutive                            []fileErrs
}

type fileErrs struct {
	file  string
	pairs []pair
}

func addErr(list *[]fileErrs, file string, p pair) {
	if n := len(*list); n > 0 && (*list)[n-1].file == file {
		(*list)[n-1].pairs = append((*list)[n-1].pairs, p)
		return
	}
	*list = append(*list, fileErrs{file: file, pairs: []pair{p}})
}

// printErrors prints what the dumps found, as DumpLogSegments does at its end.
func (d *dumper) printErrors() {
	w := d.e.Stderr
	for _, fe := range d.indexMismatches {
		d.problems++
		fmt.Fprintf(w, "Mismatches in :%s\n", fe.file)
		for i := len(fe.pairs) - 1; i >= 0; i-- { // Kafka: reverse order of index offset
			fmt.Fprintf(w, "  Index offset: %d, log offset: %d\n", fe.pairs[i].a, fe.pairs[i].b)
		}
	}
	for _, fe := range d.timeMismatches {
		d.problems++
		fmt.Fprintf(w, "Found timestamp mismatch in :%s\n", fe.file)
		for _, p := range fe.pairs {
			fmt.Fprintf(w, "  Index timestamp: %d, log timestamp: %d\n", p.a, p.b)
		}
	}
	for _, fe := range d.outOfOrder {
		d.problems++
		fmt.Fprintf(w, "Found out of order timestamp in :%s\n", fe.file)
		for _, p := range fe.pairs {
			fmt.Fprintf(w, "  Index timestamp: %d, Previously indexed timestamp: %d\n", p.a, p.b)
		}
	}
	for _, fe := range d.shallowMissed {
		d.problems++
		fmt.Fprintln(w, "The following indexed offsets are not found in the log.")
		for _, p := range fe.pairs {
			fmt.Fprintf(w, "Indexed offset: %d, found log offset: %d\n", p.a, p.b)
		}
	}
	for _, fe := range d.nonConsecutive {
		fmt.Fprintf(w, "Non-consecutive offsets in %s\n", fe.file)
		for i := len(fe.pairs) - 1; i >= 0; i-- { // Kafka: the latest first
			p := fe.pairs[i]
			fmt.Fprintf(w, "  %d is followed by %d\n", p.a, p.b)
		}
	}
}

// baseOffsetOf parses the base offset from a segment file's name.
func baseOffsetOf(file string) (int64, error) {
	name := filepath.Base(file)
	num, _, _ := strings.Cut(name, ".")
	base, err := strconv.ParseInt(num, 10, 64)
	if err != nil || base < 0 || len(num) != 20 {
		return 0, fmt.Errorf("file name %q does not start with a 20-digit base offset", name)
	}
	return base, nil
}

// Why a log scan stopped before the end of the file.
type tailKind int

const (
	tailNone    tailKind = iota
	tailZeros            // only zero bytes follow: the preallocated space of an active segment
	tailTorn             // a batch runs past the end of the file
	tailInvalid          // the bytes are not a batch (bad length or magic)
)

// logReader reads the batches of a .log file in order.
type logReader struct {
	f        *os.File
	size     int64
	pos      int64
	buf      []byte
	maxBatch int
	tail     tailKind
	tailErr  string
}

func openLog(path string, maxBatch int) (*logReader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	return &logReader{f: fh, size: fi.Size(), maxBatch: maxBatch}, nil
}

func (r *logReader) Close() error { return r.f.Close() }

// next returns the batch at the current position, or nil at the end of
// the valid batches (r.tail tells why, when bytes remain). The slice is
// valid until the next call.
func (r *logReader) next() ([]byte, error) {
	left := r.size - r.pos
	if left <= 0 {
		return nil, nil
	}
	var hdr [recordbatch.OffMagic + 1]byte
	n, err := r.f.ReadAt(hdr[:min(int64(len(hdr)), left)], r.pos)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	stop := func(kind tailKind, why string) ([]byte, error) {
		zeros, err := r.zerosFrom(r.pos)
		if err != nil {
			return nil, err
		}
		if zeros {
			kind, why = tailZeros, "zeros"
		}
		r.tail, r.tailErr = kind, why
		return nil, nil
	}
	if n < len(hdr) {
		return stop(tailTorn, fmt.Sprintf("%d bytes, less than a batch header", left))
	}
	length := int64(int32(binary.BigEndian.Uint32(hdr[recordbatch.OffBatchLength:])))
	size := recordbatch.LogOverhead + length
	switch {
	case length < recordbatch.HeaderSize-recordbatch.LogOverhead:
		return stop(tailInvalid, fmt.Sprintf("batch length %d is less than the minimum %d", length, recordbatch.HeaderSize-recordbatch.LogOverhead))
	case int8(hdr[recordbatch.OffMagic]) != recordbatch.MagicV2:
		return stop(tailInvalid, fmt.Sprintf("magic %d, want 2", int8(hdr[recordbatch.OffMagic])))
	case size > left:
		return stop(tailTorn, fmt.Sprintf("a %d-byte batch with %d bytes left in the file", size, left))
	case size > int64(r.maxBatch):
		return stop(tailInvalid, fmt.Sprintf("a %d-byte batch, larger than --max-message-size %d", size, r.maxBatch))
	}
	if cap(r.buf) < int(size) {
		r.buf = make([]byte, size)
	}
	b := r.buf[:size]
	if _, err := r.f.ReadAt(b, r.pos); err != nil {
		return nil, err
	}
	r.pos += size
	return b, nil
}

// zerosFrom reports whether every byte from pos to the end is zero.
func (r *logReader) zerosFrom(pos int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for pos < r.size {
		n, err := r.f.ReadAt(buf[:min(int64(len(buf)), r.size-pos)], pos)
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		pos += int64(n)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if n == 0 {
			break
		}
	}
	return true, nil
}

// batchAt reads the batch header at pos (nil if none is there).
func (r *logReader) batchAt(pos int64) ([]byte, error) {
	r.pos, r.tail = pos, tailNone
	return r.next()
}

func timestampType(h recordbatch.Header) string {
	if h.LogAppendTime() {
		return "LogAppendTime"
	}
	return "CreateTime"
}

// incrementSequence is Kafka's DefaultRecordBatch.incrementSequence.
func incrementSequence(seq, inc int32) int32 {
	if seq > math.MaxInt32-inc {
		return inc - (math.MaxInt32 - seq) - 1
	}
	return seq + inc
}

func (d *dumper) dumpLog(file string) error {
	base, err := baseOffsetOf(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "Log starting offset: %d\n", base)
	r, err := openLog(file, d.maxBatch)
	if err != nil {
		return err
	}
	defer r.Close()
	abs, _ := filepath.Abs(file)
	it := recordbatch.NewIterator(nil, 0)
	lastOffset := int64(-1)
	prog := d.progress(file, r.size)
	for {
		b, err := r.next()
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		pos := r.pos - int64(len(b))
		h := recordbatch.Header(b)
		valid := h.ComputeCRC() == h.CRC()
		if !valid {
			d.problems++
		}
		lastSeq := int32(-1)
		if h.BaseSequence() >= 0 {
			lastSeq = incrementSequence(h.BaseSequence(), h.LastOffsetDelta())
		}
		horizon := "OptionalLong.empty"
		if h.Attributes()&recordbatch.AttrDeleteHorizonMs != 0 {
			horizon = fmt.Sprintf("OptionalLong[%d]", h.BaseTimestamp())
		}
		fmt.Fprintf(d.out, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t deleteHorizonMs: %s position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t\n",
			h.BaseOffset(), h.LastOffset(), h.RecordCount(), h.BaseSequence(), lastSeq, h.ProducerID(), h.ProducerEpoch(),
			h.PartitionLeaderEpoch(), h.Transactional(), h.Control(), horizon, pos, timestampType(h), h.MaxTimestamp(),
			len(b), h.Magic(), h.Codec(), h.CRC(), valid)
		if d.deep {
			it.Reset(b, d.maxBatch)
			for it.Next() {
				rec := it.Record()
				// Kafka compares from the second record of the file on.
				if lastOffset != -1 && rec.Offset != lastOffset+1 {
					addErr(&d.nonConsecutive, abs, pair{lastOffset, rec.Offset})
				}
				lastOffset = rec.Offset
				d.printRecord(h, rec)
			}
			if err := it.Err(); err != nil {
				d.problems++
				fmt.Fprintf(d.out, "| records of the batch at position %d cannot be read: %v\n", pos, err)
			}
		}
		prog(r.pos)
	}
	prog(-1)
	if left := r.size - r.pos; left > 0 {
		name := filepath.Base(file)
		if r.tail == tailZeros {
			fmt.Fprintf(d.out, "Found %d bytes of zeros at the end of %s: preallocated space of an active segment, not data\n", left, name)
		} else {
			d.problems++
			fmt.Fprintf(d.out, "Found %d invalid bytes at the end of %s (%s)\n", left, name, r.tailErr)
		}
	}
	return nil
}

func sizeOf(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

func (d *dumper) printRecord(h recordbatch.Header, rec *recordbatch.Record) {
	seq := int32(-1)
	if h.BaseSequence() >= 0 {
		seq = incrementSequence(h.BaseSequence(), int32(rec.Offset-h.BaseOffset()))
	}
	keys := make([]string, len(rec.Headers))
	for i, hd := range rec.Headers {
		keys[i] = string(hd.Key)
	}
	fmt.Fprintf(d.out, "| offset: %d %s: %d keySize: %d valueSize: %d sequence: %d headerKeys: [%s]",
		rec.Offset, timestampType(h), rec.Timestamp, sizeOf(rec.Key), sizeOf(rec.Value), seq, strings.Join(keys, ","))
	if h.Control() {
		d.printControl(rec)
	} else if d.offsetsDecoder {
		k, v := decodeOffsetsRecord(rec.Key, rec.Value)
		fmt.Fprintf(d.out, " key: %s payload: %s", k, v)
	} else if d.printData {
		prefix := " "
		if rec.Key != nil {
			fmt.Fprintf(d.out, "%skey: %s", prefix, rec.Key)
		}
		if rec.Value != nil {
			fmt.Fprintf(d.out, "%spayload: %s", prefix, rec.Value)
		}
	}
	d.out.WriteByte('\n')
}

// printControl prints a control record: a transaction marker (key: version
// int16, type int16; value: version int16, coordinator epoch int32).
func (d *dumper) printControl(rec *recordbatch.Record) {
	if len(rec.Key) < 4 {
		fmt.Fprint(d.out, " controlType: UNKNOWN(-1)")
		return
	}
	typ := int16(binary.BigEndian.Uint16(rec.Key[2:]))
	switch typ {
	case 0, 1:
		name := "ABORT"
		if typ == 1 {
			name = "COMMIT"
		}
		epoch := int32(-1)
		if len(rec.Value) >= 6 {
			epoch = int32(binary.BigEndian.Uint32(rec.Value[2:]))
		}
		fmt.Fprintf(d.out, " endTxnMarker: %s coordinatorEpoch: %d", name, epoch)
	default:
		fmt.Fprintf(d.out, " controlType: UNKNOWN(%d)", typ)
	}
}

// progress returns a function that shows how far the dump of a large file
// is, on a terminal only (cli.Progress); pos -1 clears it.
func (d *dumper) progress(file string, size int64) func(pos int64) {
	threshold := d.e.ProgressMin
	if threshold == 0 {
		threshold = 64 << 20
	}
	if !d.deep {
		return func(int64) {}
	}
	p := cli.NewProgress(d.e, size, threshold, filepath.Base(file), true)
	p.BeforeDraw = func() { d.out.Flush() }
	return func(pos int64) {
		if pos < 0 {
			p.Done()
			return
		}
		p.Set(pos)
	}
}

// indexEntries reads an index file's entries, as package index finds them:
// a file of whole entries holds up to its last entry that is not all zeros
// (the rest is preallocated space), except a file of exactly one zero
// entry, which holds it.
func indexEntries(file string, entrySize int) ([]byte, int, error) {
	b, err := vfs.ReadFile(vfs.OS, file, 1<<30)
	if err != nil {
		return nil, 0, err
	}
	if len(b)%entrySize != 0 {
		return b, 0, fmt.Errorf("index file %s is corrupt: its size %d is not a multiple of %d", filepath.Base(file), len(b), entrySize)
	}
	n := len(b) / entrySize
	if n == 1 {
		return b, 1, nil
	}
	for n > 0 {
		nonzero := false
		for _, c := range b[(n-1)*entrySize : n*entrySize] {
			if c != 0 {
				nonzero = true
				break
			}
		}
		if nonzero {
			break
		}
		n--
	}
	return b, n, nil
}

// sliceError is Kafka's FileRecords.slice error for a position past the
// end of the log.
func sliceError(r *logReader, pos int64) string {
	return fmt.Sprintf("Slice from position %d exceeds end position of %s (size %d)", pos, r.f.Name(), r.size)
}

func siblingLog(file string, base int64) string {
	return segment.LogPath(filepath.Dir(file), base)
}

func (d *dumper) dumpIndex(file string) error {
	base, err := baseOffsetOf(file)
	if err != nil {
		return err
	}
	b, n, err := indexEntries(file, 8)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(d.out, "%s is empty.\n", file)
		return nil
	}
	entry := func(i int) (int64, int64) {
		return base + int64(int32(binary.BigEndian.Uint32(b[8*i:]))), int64(binary.BigEndian.Uint32(b[8*i+4:]))
	}
	if d.sanityOnly {
		prevOff, prevPos := int64(-1), int64(-1)
		for i := range n {
			off, pos := entry(i)
			if off < base || off <= prevOff || pos <= prevPos {
				return fmt.Errorf("corrupt index found, index file (%s) has entry %d (offset %d, position %d) out of order after offset %d, position %d", file, i, off, pos, prevOff, prevPos)
			}
			prevOff, prevPos = off, pos
		}
		fmt.Fprintf(d.out, "%s passed sanity check.\n", file)
		return nil
	}
	r, err := openLog(siblingLog(file, base), d.maxBatch)
	if err != nil {
		return err
	}
	defer r.Close()
	abs, _ := filepath.Abs(file)
	for i := range n {
		off, pos := entry(i)
		if off == base && i > 0 {
			break // the zeros of a sparse file
		}
		// Kafka's DumpLogSegments stops at an entry with no batch at its
		// position: FileRecords.slice throws past the end, and the batch
		// iterator's next() throws at the end or before a torn batch.
		if pos > r.size {
			return fmt.Errorf("index entry offset %d position %d: %s", off, pos, sliceError(r, pos))
		}
		batch, err := r.batchAt(pos)
		if err != nil {
			return err
		}
		if batch == nil {
			return fmt.Errorf("index entry offset %d position %d: no batch at position %d of %s (size %d)", off, pos, pos, r.f.Name(), r.size)
		}
		if logOff := recordbatch.Header(batch).LastOffset(); logOff != off {
			addErr(&d.indexMismatches, abs, pair{off, logOff})
		}
		if !d.verifyOnly {
			fmt.Fprintf(d.out, "offset: %d position: %d\n", off, pos)
		}
	}
	return nil
}

func (d *dumper) dumpTimeIndex(file string) error {
	base, err := baseOffsetOf(file)
	if err != nil {
		return err
	}
	b, n, err := indexEntries(file, 12)
	if err != nil {
		return err
	}
	entry := func(i int) (int64, int64) {
		return int64(binary.BigEndian.Uint64(b[12*i:])), base + int64(int32(binary.BigEndian.Uint32(b[12*i+8:])))
	}
	if d.sanityOnly {
		prevTs, prevOff := int64(-1), int64(-1)
		for i := range n {
			ts, off := entry(i)
			if off < base || off < prevOff || ts <= prevTs {
				return fmt.Errorf("corrupt time index found, time index file (%s) has entry %d (timestamp %d, offset %d) out of order after timestamp %d, offset %d", file, i, ts, off, prevTs, prevOff)
			}
			prevTs, prevOff = ts, off
		}
		fmt.Fprintf(d.out, "%s passed sanity check.\n", file)
		return nil
	}
	ib, in, err := indexEntries(segment.IndexPath(filepath.Dir(file), base), 8)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	lookup := func(target int64) int64 { // offset index floor: the position to scan from
		pos := int64(0)
		for i := range in {
			off := base + int64(int32(binary.BigEndian.Uint32(ib[8*i:])))
			if off > target || (off == base && i > 0) {
				break
			}
			pos = int64(binary.BigEndian.Uint32(ib[8*i+4:]))
		}
		return pos
	}
	r, err := openLog(siblingLog(file, base), d.maxBatch)
	if err != nil {
		return err
	}
	defer r.Close()
	abs, _ := filepath.Abs(file)
	it := recordbatch.NewIterator(nil, 0)
	prevTs := int64(-1)
	for i := range n {
		ts, off := entry(i)
		if off == base && i > 0 {
			break
		}
		pos := lookup(off)
		if pos > r.size {
			return fmt.Errorf("time index entry offset %d: %s", off, sliceError(r, pos))
		}
		batch, err := r.batchAt(pos)
		for err == nil && batch != nil && recordbatch.Header(batch).LastOffset() < off {
			batch, err = r.next()
		}
		if err != nil {
			return err
		}
		switch {
		case batch == nil:
			addErr(&d.shallowMissed, abs, pair{off, -1})
		case recordbatch.Header(batch).LastOffset() != off:
			addErr(&d.shallowMissed, abs, pair{off, recordbatch.Header(batch).LastOffset()})
		default:
			maxTs := int64(-1)
			it.Reset(batch, d.maxBatch)
			for it.Next() {
				maxTs = max(maxTs, it.Record().Timestamp)
			}
			if maxTs != ts {
				addErr(&d.timeMismatches, abs, pair{ts, maxTs})
			}
			if prevTs >= ts {
				addErr(&d.outOfOrder, abs, pair{ts, prevTs})
			}
		}
		if !d.verifyOnly {
			fmt.Fprintf(d.out, "timestamp: %d offset: %d\n", ts, off)
		}
		prevTs = ts
	}
	return nil
}
