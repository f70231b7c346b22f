// Package acls holds kafka-acls.sh as `strata acls`: add, remove and list
// ACLs through CreateAcls, DeleteAcls and DescribeAcls.
//
// Flags, checks and output follow Kafka 4.1's AclCommand
// (core/src/main/scala/kafka/admin/AclCommand.scala): --add, --remove or
// --list; the resources --topic, --group, --cluster, --transactional-id,
// --delegation-token, --user-principal with --resource-pattern-type
// (literal, prefixed; any and match when listing or removing); the entries
// from --allow-principal/--deny-principal, --allow-host/--deny-host (default
// "*" when a principal is given) and --operation (default All, Kafka's
// names in any case: Write, IdempotentWrite, ...); the conveniences
// --producer (WRITE, DESCRIBE, CREATE on the topics, WRITE and DESCRIBE on
// the transactional IDs, IDEMPOTENT_WRITE on the cluster with
// --idempotent) and --consumer (READ, DESCRIBE on the topics, READ on the
// groups); --principal filters a listing; --force skips the confirmation
// of a removal.
//
// Output is Kafka's: "Adding ACLs for resource `ResourcePattern(...)`: "
// and "Current ACLs for resource `...`: " followed by the entries, each
// "\t(principal=..., host=..., operation=..., permissionType=...)". Where
// Kafka's order comes from a Scala Map or Set, resources and entries are
// sorted (resource type, name, pattern type; principal, host, operation,
// permission) so the output is stable.
//
// The tool speaks only the Kafka protocol (kgo, kmsg).
package acls

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "acls", Summary: "add, remove and list ACLs (kafka-acls.sh)", Run: run},
}
