package acl

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

// Authorizer classes authorizer.class.name accepts; both are Strata's ACL
// authorizer. An empty class name means no authorization.
const (
	StandardAuthorizer = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
	AclAuthorizer      = "kafka.security.authorizer.AclAuthorizer"
)

// Config is the authorizer's part of the broker configuration.
type Config struct {
	SuperUsers                []string // super.users: principals separated by ';'
	AllowEveryoneIfNoACLFound bool     // allow.everyone.if.no.acl.found: false
}

// ConfigFromProps reads the authorizer's properties through get. It
// returns enabled false when authorizer.class.name is empty.
func ConfigFromProps(get func(string) (string, bool)) (cfg Config, enabled bool, err error) {
	class, _ := get("authorizer.class.name")
	class = strings.TrimSpace(class)
	switch class {
	case "":
		return cfg, false, nil
	case StandardAuthorizer, AclAuthorizer:
	default:
		return cfg, false, fmt.Errorf("authorizer.class.name: %q is not an authorizer Strata has (%s, %s)", class, StandardAuthorizer, AclAuthorizer)
	}
	if v, ok := get("super.users"); ok {
		for _, p := range strings.Split(v, ";") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.SuperUsers = append(cfg.SuperUsers, p)
			}
		}
	}
	if v, ok := get("allow.everyone.if.no.acl.found"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			cfg.AllowEveryoneIfNoACLFound = true
		case "false":
		default:
			return cfg, false, fmt.Errorf("allow.everyone.if.no.acl.found: %q is not a boolean", v)
		}
	}
	return cfg, true, nil
}

// Authorizer decides requests against the bindings. Authorize and the
// other reads take no lock (they read the current index); Create and
// Delete serialise on mu and write the file before swapping the index.
type Authorizer struct {
	super      map[string]bool
	allowEmpty bool
	fsys       vfs.FS
	dir        string

	mu  sync.Mutex
	idx atomic.Pointer[index]
}

// Open loads the bindings of dir (none when the file is absent).
func Open(fsys vfs.FS, dir string, cfg Config) (*Authorizer, error) {
	all, err := load(fsys, dir)
	if err != nil {
		return nil, err
	}
	a := &Authorizer{super: map[string]bool{}, allowEmpty: cfg.AllowEveryoneIfNoACLFound, fsys: fsys, dir: dir}
	for _, p := range cfg.SuperUsers {
		a.super[p] = true
	}
	sortBindings(all)
	a.idx.Store(buildIndex(all))
	return a, nil
}

// Authorize reports whether principal, connected from host, may do op on
// the resource rt/name.
func (a *Authorizer) Authorize(principal, host string, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	if a.super[principal] {
		return true
	}
	found, allowed, denied := false, false, false
	a.idx.Load().visit(rt, name, func(es []entry) bool {
		found = true
		for i := range es {
			e := &es[i]
			if e.principal != principal && e.principal != WildcardPrincipal {
				continue
			}
			if e.host != host && e.host != Wildcard {
				continue
			}
			if e.perm == kmsg.ACLPermissionTypeDeny {
				if e.op == op || e.op == kmsg.ACLOperationAll {
					denied = true
					return false
				}
				continue
			}
			if implies(e.op, op) {
				allowed = true
			}
		}
		return true
	})
	if denied {
		return false
	}
	if allowed {
		return true
	}
	return !found && a.allowEmpty
}

// AuthorizeAny reports whether principal may do op on some resource of
// type rt (Kafka's authorizeByResourceType, used for IDEMPOTENT_WRITE
// through WRITE on any topic): an ALLOW binding of the principal (or
// User:*), host and op whose pattern no DENY of the same principal covers.
func (a *Authorizer) AuthorizeAny(principal, host string, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	if a.super[principal] {
		return true
	}
	ix := a.idx.Load()
	match := func(b Binding) bool {
		return b.ResourceType == rt && (b.Principal == principal || b.Principal == WildcardPrincipal) &&
			(b.Host == host || b.Host == Wildcard) && (b.Operation == op || b.Operation == kmsg.ACLOperationAll)
	}
	for _, b := range ix.all {
		if !match(b) || b.Permission != kmsg.ACLPermissionTypeAllow {
			continue
		}
		denied := false
		for _, d := range ix.all {
			if !match(d) || d.Permission != kmsg.ACLPermissionTypeDeny {
				continue
			}
			if d.PatternType == kmsg.ACLResourcePatternTypeLiteral && (d.ResourceName == Wildcard || (b.PatternType == kmsg.ACLResourcePatternTypeLiteral && d.ResourceName == b.ResourceName)) ||
				d.PatternType == kmsg.ACLResourcePatternTypePrefixed && strings.HasPrefix(b.ResourceName, d.ResourceName) {
				denied = true
				break
			}
		}
		if !denied {
			return true
		}
	}
	if a.allowEmpty {
		for _, b := range ix.all {
			if b.ResourceType == rt {
				return false
			}
		}
		return true
	}
	return false
}

// Operations returns Kafka's authorized-operations bit field of principal
// on rt/name: bit op set for each supported op it may do.
func (a *Authorizer) Operations(principal, host string, rt kmsg.ACLResourceType, name string) int32 {
	var bits int32
	for _, op := range Operations(rt) {
		if a.Authorize(principal, host, op, rt, name) {
			bits |= 1 << op
		}
	}
	return bits
}

// Len returns the number of bindings.
func (a *Authorizer) Len() int { return len(a.idx.Load().all) }

// Describe returns the bindings f matches, sorted.
func (a *Authorizer) Describe(f Filter) []Binding {
	var out []Binding
	for _, b := range a.idx.Load().all {
		if f.Matches(b) {
			out = append(out, b)
		}
	}
	return out
}

// Create adds bindings (those already present are kept once) and makes
// them durable. It returns, per binding, nil or why it was refused.
func (a *Authorizer) Create(bs []Binding) ([]error, error) {
	errs := make([]error, len(bs))
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.idx.Load().all
	next := slices.Clone(cur)
	added := 0
	for i, b := range bs {
		if err := b.Validate(); err != nil {
			errs[i] = err
			continue
		}
		if _, found := slices.BinarySearchFunc(cur, b, compareBindings); found {
			continue
		}
		next = append(next, b)
		added++
	}
	if added == 0 {
		return errs, nil
	}
	sortBindings(next)
	next = slices.CompactFunc(next, func(x, y Binding) bool { return x == y })
	if err := save(a.fsys, a.dir, next); err != nil {
		return nil, err
	}
	a.idx.Store(buildIndex(next))
	return errs, nil
}

// Delete removes the bindings each filter matches and makes that
// durable; it returns, per filter, the bindings it removed.
func (a *Authorizer) Delete(fs []Filter) ([][]Binding, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.idx.Load().all
	out := make([][]Binding, len(fs))
	gone := make([]bool, len(cur))
	n := 0
	for i, f := range fs {
		for j, b := range cur {
			if f.Matches(b) {
				out[i] = append(out[i], b)
				if !gone[j] {
					gone[j] = true
					n++
				}
			}
		}
	}
	if n == 0 {
		return out, nil
	}
	next := make([]Binding, 0, len(cur)-n)
	for j, b := range cur {
		if !gone[j] {
			next = append(next, b)
		}
	}
	if err := save(a.fsys, a.dir, next); err != nil {
		return nil, err
	}
	a.idx.Store(buildIndex(next))
	return out, nil
}
