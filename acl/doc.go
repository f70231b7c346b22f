// Package acl is the broker's authorizer: Kafka's ACL bindings, an index
// over them, the authorization decision and the durable file that holds
// them.
//
// A Binding is Kafka's AclBinding: a resource pattern (resource type,
// name, pattern type LITERAL or PREFIXED) and an entry (principal, host,
// operation, permission). Filters (DescribeAcls, DeleteAcls) add ANY to
// every field and MATCH to the pattern type. The enumerations are kmsg's
// (kmsg.ACLResourceType, kmsg.ACLResourcePatternType, kmsg.ACLOperation,
// kmsg.ACLPermissionType), whose numbers are Kafka's.
//
// The index is per resource type: a map from literal name to bindings (the
// wildcard "*" is one literal key) and a byte trie of PREFIXED names, so an
// authorization walks the trie along the resource name and reads two map
// entries, never the whole ACL set. The index is immutable: a change builds
// a new one and swaps an atomic pointer, so checks take no lock.
//
// The decision follows Kafka's StandardAuthorizer (KIP-801): super users
// (super.users) are allowed everything; a DENY binding matching the
// principal, host and operation (or ALL) wins over any ALLOW; an ALLOW
// matches the operation, ALL, or an operation that implies it (READ,
// WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
// DESCRIBE_CONFIGS); a resource without any binding is allowed only when
// allow.everyone.if.no.acl.found is true. Principals match exactly or
// through "User:*"; hosts exactly or through "*".
//
// Two reads scan the bindings instead: Describe (DescribeAcls, DeleteAcls)
// and AuthorizeAny (Kafka's authorizeByResourceType, asked once per
// idempotent producer's InitProducerId), neither on a per-record path.
//
// Durability: the bindings live in <first log dir>/acls.json, written
// whole through vfs.WriteFileAtomic (temp file, fsync, rename, fsync dir)
// before a change becomes visible. Writers serialise on a mutex.
package acl
