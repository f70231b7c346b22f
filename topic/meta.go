package topic

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"

	"github.com/stratabroker/strata/internal/vfs"
)

const (
	metaName     = "topics.json"
	metaTmpName  = metaName + vfs.TempSuffix
	corruptName  = "topics.json.corrupt"
	metaVersion  = 1
	maxMetaBytes = 256 << 20 // far above any real registry; bounds the read
	// MaxPartitions bounds one topic's partition count (Kafka's KRaft
	// controller refuses a request that needs more than 10000 records).
	MaxPartitions = 10000
)

// metaFile is topics.json.
type metaFile struct {
	Version int         `json:"version"`
	Topics  []metaTopic `json:"topics"`
}

type metaTopic struct {
	Name       string            `json:"name"`
	ID         string            `json:"id"` // Kafka's form: unpadded URL-safe base64
	Partitions int32             `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"`
}

// errCorruptMeta: topics.json does not parse or breaks an invariant. Open
// rebuilds the registry from the partition directories.
var errCorruptMeta = errors.New("topic: corrupt " + metaName)

// FormatID prints a topic ID as Kafka does (Uuid.toString): URL-safe base64
// without padding, 22 characters.
func FormatID(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseID parses FormatID's form.
func ParseID(s string) ([16]byte, error) {
	var id [16]byte
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("topic: invalid topic ID %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// newID returns a random UUID v4 that Kafka would accept as a topic ID: not
// the zero or metadata-topic ID (0 and 1), no string form starting with
// '-', and not already in use.
func newID(taken func([16]byte) bool) [16]byte {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		if id[0]>>2 == 62 || taken(id) { // 62 is '-' in the URL-safe alphabet
			continue
		}
		return id
	}
}

// decodeMeta parses and checks topics.json.
func decodeMeta(data []byte) ([]metaTopic, error) {
	var m metaFile
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorruptMeta, err)
	}
	if m.Version != metaVersion {
		return nil, fmt.Errorf("%w: version %d", errCorruptMeta, m.Version)
	}
	names := map[string]bool{}
	ids := map[[16]byte]bool{}
	for _, t := range m.Topics {
		if err := ValidateName(t.Name); err != nil {
			return nil, fmt.Errorf("%w: %w", errCorruptMeta, err)
		}
		id, err := ParseID(t.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errCorruptMeta, err)
		}
		if names[t.Name] || ids[id] || t.Partitions < 1 || t.Partitions > MaxPartitions {
			return nil, fmt.Errorf("%w: topic %q: duplicate, or %d partitions", errCorruptMeta, t.Name, t.Partitions)
		}
		names[t.Name], ids[id] = true, true
	}
	return m.Topics, nil
}

func encodeMeta(topics []*Topic) []byte {
	m := metaFile{Version: metaVersion, Topics: make([]metaTopic, len(topics))}
	for i, t := range topics {
		m.Topics[i] = metaTopic{Name: t.Name, ID: FormatID(t.ID), Partitions: int32(len(t.Partitions)), Configs: t.Configs}
	}
	data, _ := json.MarshalIndent(m, "", "  ") // strings and ints only: cannot fail
	return append(data, '\n')
}

// writeMeta replaces topics.json atomically (vfs.WriteFileAtomic).
func writeMeta(fs vfs.FS, dir string, data []byte) error {
	if err := vfs.WriteFileAtomic(fs, dir, metaName, data); err != nil {
		return fmt.Errorf("write %s: %w", metaName, err)
	}
	return nil
}

// readMeta returns topics.json's bytes; ok is false when it does not exist.
func readMeta(fs vfs.FS, dir string) (data []byte, ok bool, err error) {
	data, err = vfs.ReadFile(fs, filepath.Join(dir, metaName), maxMetaBytes)
	switch {
	case err == nil:
		return data, true, nil
	case errors.Is(err, iofs.ErrNotExist):
		return nil, false, nil
	case errors.Is(err, vfs.ErrFileTooLarge), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, true, fmt.Errorf("%w: %w", errCorruptMeta, err)
	}
	return nil, false, err
}
