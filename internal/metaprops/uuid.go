package metaprops

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Uuid is Kafka's org.apache.kafka.common.Uuid: 16 bytes, written as
// base64url without padding (22 characters).
type Uuid [16]byte

// ErrUuid reports a string that is not a Uuid (Kafka's Uuid.fromString).
var ErrUuid = errors.New("metaprops: bad uuid")

func (u Uuid) String() string { return base64.RawURLEncoding.EncodeToString(u[:]) }

func (u Uuid) msb() uint64 { return binary.BigEndian.Uint64(u[:8]) }
func (u Uuid) lsb() uint64 { return binary.BigEndian.Uint64(u[8:]) }

// ParseUuid reads a Uuid as Uuid.fromString does, with its messages.
// Java's base64url decoder accepts padding, so "=" endings are allowed.
func ParseUuid(s string) (Uuid, error) {
	var u Uuid
	if len(s) > 24 {
		return u, fmt.Errorf("%w: Input string with prefix `%s` is too long to be decoded as a base64 UUID", ErrUuid, s[:24])
	}
	enc := base64.RawURLEncoding
	trimmed := s
	for len(trimmed) > 0 && trimmed[len(trimmed)-1] == '=' {
		trimmed = trimmed[:len(trimmed)-1]
	}
	if len(trimmed) != len(s) {
		enc = base64.URLEncoding
		trimmed = s
	}
	b, err := enc.DecodeString(trimmed)
	if err != nil {
		return u, fmt.Errorf("%w: Illegal base64 character in %q", ErrUuid, s)
	}
	if len(b) != 16 {
		return u, fmt.Errorf("%w: Input string `%s` decoded as %d bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID", ErrUuid, s, len(b))
	}
	copy(u[:], b)
	return u, nil
}

// RandomUuid is Uuid.randomUuid: a random Uuid (version 4 bits, as
// java.util.UUID.randomUUID sets them) that is neither of Kafka's
// reserved Uuids (all zero, one) and whose text does not start with '-'
// (which a command line would take for a flag).
func RandomUuid() Uuid {
	for {
		var u Uuid
		rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // IETF variant
		if (u.msb() == 0 && u.lsb() <= 1) || u.String()[0] == '-' {
			continue
		}
		return u
	}
}

// ReservedDirectoryID reports the directory IDs Kafka keeps for itself
// (DirectoryId.reserved: the first 100, MIGRATING, UNASSIGNED, LOST, ...).
func ReservedDirectoryID(u Uuid) bool { return u.msb() == 0 && u.lsb() < 100 }

// newDirectoryID is MetaPropertiesEnsemble.Copier.generateValidDirectoryId:
// a random ID, not reserved, not starting with '-', and not taken.
func newDirectoryID(taken func(Uuid) bool) Uuid {
	for {
		var u Uuid
		rand.Read(u[:])
		if u.String()[0] == '-' || ReservedDirectoryID(u) || taken(u) {
			continue
		}
		return u
	}
}
