package acl

import (
	"cmp"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// entry is the part of a binding the decision reads once the resource
// matched.
type entry struct {
	principal, host string
	op              kmsg.ACLOperation
	perm            kmsg.ACLPermissionType
}

// node is one byte of the prefix trie; entries are the PREFIXED bindings
// whose name ends here.
type node struct {
	next    map[byte]*node
	entries []entry
}

// typeIndex holds one resource type's bindings.
type typeIndex struct {
	literal map[string][]entry // LITERAL bindings by name; "*" is the wildcard
	prefix  *node              // PREFIXED bindings by name
}

// index is an immutable view of every binding.
type index struct {
	types [kmsg.ACLResourceTypeUser + 1]*typeIndex
	all   []Binding // sorted (sortBindings)
}

func buildIndex(all []Binding) *index {
	ix := &index{all: all}
	for _, b := range all {
		ti := ix.types[b.ResourceType]
		if ti == nil {
			ti = &typeIndex{literal: map[string][]entry{}, prefix: &node{}}
			ix.types[b.ResourceType] = ti
		}
		e := entry{principal: b.Principal, host: b.Host, op: b.Operation, perm: b.Permission}
		if b.PatternType == kmsg.ACLResourcePatternTypeLiteral {
			ti.literal[b.ResourceName] = append(ti.literal[b.ResourceName], e)
			continue
		}
		n := ti.prefix
		for i := 0; i < len(b.ResourceName); i++ {
			c := b.ResourceName[i]
			if n.next == nil {
				n.next = map[byte]*node{}
			}
			nn := n.next[c]
			if nn == nil {
				nn = &node{}
				n.next[c] = nn
			}
			n = nn
		}
		n.entries = append(n.entries, e)
	}
	return ix
}

// visit calls fn with the entries of every binding of rt whose pattern
// matches name: the literal name, the wildcard, every prefix. It stops
// when fn returns false.
func (ix *index) visit(rt kmsg.ACLResourceType, name string, fn func([]entry) bool) {
	if int(rt) >= len(ix.types) {
		return
	}
	ti := ix.types[rt]
	if ti == nil {
		return
	}
	if es := ti.literal[name]; len(es) > 0 && !fn(es) {
		return
	}
	if name != Wildcard {
		if es := ti.literal[Wildcard]; len(es) > 0 && !fn(es) {
			return
		}
	}
	n := ti.prefix
	for i := 0; i < len(name) && n.next != nil; i++ {
		n = n.next[name[i]]
		if n == nil {
			return
		}
		if len(n.entries) > 0 && !fn(n.entries) {
			return
		}
	}
}

func compareBindings(a, b Binding) int {
	return cmp.Or(
		cmp.Compare(a.ResourceType, b.ResourceType),
		cmp.Compare(a.PatternType, b.PatternType),
		cmp.Compare(a.ResourceName, b.ResourceName),
		cmp.Compare(a.Principal, b.Principal),
		cmp.Compare(a.Host, b.Host),
		cmp.Compare(a.Operation, b.Operation),
		cmp.Compare(a.Permission, b.Permission),
	)
}

func sortBindings(bs []Binding) { slices.SortFunc(bs, compareBindings) }
