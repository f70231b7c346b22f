package quota

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stratabroker/strata/internal/vfs"
)

// Entity types (ClientQuotaEntity) and the default name.
const (
	User     = "user"
	ClientID = "client-id"
	IP       = "ip"
	Default  = "<default>"
)

// Config keys.
const (
	ProducerByteRate       = "producer_byte_rate"
	ConsumerByteRate       = "consumer_byte_rate"
	RequestPercentage      = "request_percentage"
	ControllerMutationRate = "controller_mutation_rate"
	ConnectionCreationRate = "connection_creation_rate"
)

type keyType int

const (
	typeLong keyType = iota
	typeDouble
	typeInt
)

var userClientKeys = map[string]keyType{
	ProducerByteRate: typeLong, ConsumerByteRate: typeLong,
	RequestPercentage: typeDouble, ControllerMutationRate: typeDouble,
}

var ipKeys = map[string]keyType{ConnectionCreationRate: typeInt}

// ErrInvalid is a rejected entity or quota (INVALID_REQUEST); the
// errors that match it carry Kafka's message alone.
var ErrInvalid = errors.New("invalid request")

type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error { return invalidError(fmt.Sprintf(format, args...)) }

// Entity is a quota entity. A part is present when its Has flag is set;
// its name is Default for the default entity.
type Entity struct {
	HasUser   bool   `json:"-"`
	User      string `json:"user,omitempty"`
	HasClient bool   `json:"-"`
	Client    string `json:"client-id,omitempty"`
	HasIP     bool   `json:"-"`
	IP        string `json:"ip,omitempty"`
}

// Part is one (type, name) of an entity as the protocol gives it; a nil
// Name is the default.
type Part struct {
	Type string
	Name *string
}

// ParseEntity validates parts as Kafka's ClientQuotaControlManager does and
// returns the entity and the keys it may carry.
func ParseEntity(parts []Part) (Entity, error) {
	var e Entity
	if len(parts) == 0 {
		return e, invalidf("Invalid empty client quota entity")
	}
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.Type] {
			return e, invalidf("Invalid client quota entity, duplicate entity entry %s", p.Type)
		}
		seen[p.Type] = true
		name := Default
		if p.Name != nil {
			name = *p.Name
		}
		switch p.Type {
		case User:
			e.HasUser, e.User = true, name
		case ClientID:
			e.HasClient, e.Client = true, name
		case IP:
			e.HasIP, e.IP = true, name
		default:
			return e, invalidf("Unhandled client quota entity type: %s", p.Type)
		}
		if p.Name != nil && *p.Name == "" {
			return e, invalidf("Empty %s not supported", p.Type)
		}
	}
	if e.HasIP && (e.HasUser || e.HasClient) {
		return e, invalidf("Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId")
	}
	if e.HasIP && e.IP != Default && net.ParseIP(e.IP) == nil {
		return e, invalidf("%s is not a valid IP or resolvable host.", e.IP)
	}
	return e, nil
}

// Parts is e as protocol parts, in user, client-id, ip order.
func (e Entity) Parts() []Part {
	var ps []Part
	add := func(typ, name string) {
		p := Part{Type: typ}
		if name != Default {
			n := name
			p.Name = &n
		}
		ps = append(ps, p)
	}
	if e.HasUser {
		add(User, e.User)
	}
	if e.HasClient {
		add(ClientID, e.Client)
	}
	if e.HasIP {
		add(IP, e.IP)
	}
	return ps
}

// ValidateValue checks key=value for e (validateQuotaKeyValue).
func (e Entity) ValidateValue(key string, v float64) error {
	keys := userClientKeys
	if e.HasIP {
		keys = ipKeys
	}
	t, ok := keys[key]
	if !ok {
		return invalidf("Invalid configuration key %s", key)
	}
	if v <= 0 {
		return invalidf("Quota %s must be greater than 0", key)
	}
	switch t {
	case typeInt:
		if v > math.MaxInt32 {
			return invalidf("Proposed value for %s is too large for an INT.", key)
		}
	case typeLong:
		if v > math.MaxInt64 {
			return invalidf("Proposed value for %s is too large for a LONG.", key)
		}
	default:
		return nil
	}
	if math.Abs(math.Mod(v, 1)) > 1e-6 {
		return invalidf("%s cannot be a fractional value.", key)
	}
	return nil
}

type entry struct {
	Entity
	Quotas map[string]float64 `json:"quotas"`
}

type fileData struct {
	Version  int     `json:"version"`
	Entities []entry `json:"entities"`
}

// snapshot is an immutable view of the configured quotas.
type snapshot struct {
	gen uint64
	m   map[Entity]map[string]float64
}

// Store is the durable set of configured quotas.
type Store struct {
	fs   vfs.FS
	dir  string
	mu   sync.Mutex // serialises alters
	snap atomic.Pointer[snapshot]
}

// File is the store's file name in the log directory.
const File = "quotas.json"

// Open reads dir/quotas.json (absent: no quotas).
func Open(fsys vfs.FS, dir string) (*Store, error) {
	s := &Store{fs: fsys, dir: dir}
	sn := &snapshot{gen: 1, m: map[Entity]map[string]float64{}}
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, File), 64<<20)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("quota: %w", err)
	default:
		var f fileData
		if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
			return nil, fmt.Errorf("quota: %s: version %d, %v", File, f.Version, err)
		}
		for _, e := range f.Entities {
			e.HasUser, e.HasClient, e.HasIP = e.User != "", e.Client != "", e.IP != ""
			sn.m[e.Entity] = e.Quotas
		}
	}
	s.snap.Store(sn)
	return s, nil
}

// Gen is the generation of the quotas in force; it changes with each alter.
func (s *Store) Gen() uint64 { return s.snap.Load().gen }

// Change is one entity's alteration: Set values, Remove keys.
type Change struct {
	Entity Entity
	Set    map[string]float64
	Remove []string
}

// Alter applies changes (already validated) durably, then puts them in
// force. validateOnly: nothing is changed.
func (s *Store) Alter(changes []Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	next := &snapshot{gen: old.gen + 1, m: make(map[Entity]map[string]float64, len(old.m))}
	for e, q := range old.m {
		next.m[e] = q
	}
	for _, c := range changes {
		q := map[string]float64{}
		for k, v := range next.m[c.Entity] {
			q[k] = v
		}
		for _, k := range c.Remove {
			delete(q, k)
		}
		for k, v := range c.Set {
			q[k] = v
		}
		if len(q) == 0 {
			delete(next.m, c.Entity)
		} else {
			next.m[c.Entity] = q
		}
	}
	f := fileData{Version: 1}
	for e, q := range next.m {
		f.Entities = append(f.Entities, entry{Entity: e, Quotas: q})
	}
	slices.SortFunc(f.Entities, func(a, b entry) int { return strings.Compare(a.key(), b.key()) })
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(s.fs, s.dir, File, b); err != nil {
		return fmt.Errorf("quota: write %s: %w", File, err)
	}
	s.snap.Store(next)
	return nil
}

func (e Entity) key() string { return e.User + "\x00" + e.Client + "\x00" + e.IP }

// Filter is one DescribeClientQuotas component: match type 0 exact (Name),
// 1 default, 2 any.
type Filter struct {
	Type  string
	Match int8
	Name  string
}

// Describe returns the entities matching filters (strict: no other entity
// types) with their quotas, sorted.
func (s *Store) Describe(filters []Filter, strict bool) ([]Entity, []map[string]float64, error) {
	seen := map[string]bool{}
	for _, f := range filters {
		if f.Type != User && f.Type != ClientID && f.Type != IP {
			return nil, nil, invalidf("Custom entity type %s not supported", f.Type)
		}
		if seen[f.Type] {
			return nil, nil, invalidf("Entity type %s cannot appear more than once in the filter.", f.Type)
		}
		seen[f.Type] = true
		if f.Match > 2 || f.Match < 0 {
			return nil, nil, invalidf("Unknown match type %d", f.Match)
		}
	}
	if seen[IP] && (seen[User] || seen[ClientID]) {
		return nil, nil, invalidf("Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.")
	}
	sn := s.snap.Load()
	var es []Entity
	for e := range sn.m {
		if matches(e, filters, strict) {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b Entity) int { return strings.Compare(a.key(), b.key()) })
	qs := make([]map[string]float64, len(es))
	for i, e := range es {
		qs[i] = sn.m[e]
	}
	return es, qs, nil
}

func matches(e Entity, filters []Filter, strict bool) bool {
	part := func(typ string) (bool, string) {
		switch typ {
		case User:
			return e.HasUser, e.User
		case ClientID:
			return e.HasClient, e.Client
		}
		return e.HasIP, e.IP
	}
	n := 0
	for _, f := range filters {
		has, name := part(f.Type)
		if !has {
			return false
		}
		n++
		switch f.Match {
		case 0:
			if name != f.Name || name == Default {
				return false
			}
		case 1:
			if name != Default {
				return false
			}
		}
	}
	if strict {
		total := 0
		for _, h := range []bool{e.HasUser, e.HasClient, e.HasIP} {
			if h {
				total++
			}
		}
		return total == n
	}
	return true
}

// lookup returns the quotas of e.
func (sn *snapshot) lookup(e Entity) map[string]float64 { return sn.m[e] }
