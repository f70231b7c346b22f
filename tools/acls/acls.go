package acls

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

const usage = `Usage: strata acls (--add | --remove | --list) [--bootstrap-server host:port]
       [--command-config FILE] [resource flags] [entry flags]

This tool helps to manage acls on kafka (kafka-acls.sh).

Actions:
  --add                      Indicates you are trying to add ACLs.
  --remove                   Indicates you are trying to remove ACLs.
  --list                     List ACLs for the specified resource.
Resources:
  --topic TOPIC              topic ('*': all topics); repeatable
  --group GROUP              consumer group ('*': all groups); repeatable
  --cluster                  the cluster
  --transactional-id ID      transactional ID ('*': all); repeatable
  --delegation-token ID      delegation token ('*': all); repeatable
  --user-principal USER      a user principal as a resource (CreateTokens, DescribeTokens)
  --resource-pattern-type T  literal (default), prefixed; any or match when listing or removing
Entries:
  --allow-principal P        principal in principalType:name format; repeatable
  --deny-principal P         principal in principalType:name format; repeatable
  --allow-host H             host of --allow-principal (default *); repeatable
  --deny-host H              host of --deny-principal (default *); repeatable
  --operation OP             All (default), Read, Write, Create, Delete, Alter, Describe,
                             ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite,
                             CreateTokens, DescribeTokens; repeatable
  --producer                 WRITE, DESCRIBE, CREATE on the topics (and the transactional IDs)
  --idempotent               with --producer: IDEMPOTENT_WRITE on the cluster
  --consumer                 READ, DESCRIBE on the topics and READ on the groups
  --principal P              with --list: only this principal's ACLs; repeatable
  --force                    Assume Yes to all queries and do not prompt.
`

// clusterName is Kafka's CLUSTER resource name.
const clusterName = "kafka-cluster"

// pattern is a resource pattern or pattern filter (Kafka's
// ResourcePattern / ResourcePatternFilter).
type pattern struct {
	typ  kmsg.ACLResourceType
	name string
	pt   kmsg.ACLResourcePatternType
}

func (p pattern) String() string {
	return fmt.Sprintf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)", p.typ, p.name, p.pt)
}

// entry is Kafka's AccessControlEntry.
type entry struct {
	principal, host string
	op              kmsg.ACLOperation
	perm            kmsg.ACLPermissionType
}

func (e entry) String() string {
	return fmt.Sprintf("(principal=%s, host=%s, operation=%s, permissionType=%s)", e.principal, e.host, e.op, e.perm)
}

func compareEntries(a, b entry) int {
	return cmp.Or(cmp.Compare(a.principal, b.principal), cmp.Compare(a.host, b.host), cmp.Compare(a.op, b.op), cmp.Compare(a.perm, b.perm))
}

func comparePatterns(a, b pattern) int {
	return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.name, b.name), cmp.Compare(a.pt, b.pt))
}

// operations maps Kafka's operation names (SecurityUtils: Pascal case, or
// any case without underscores) to operations.
var operations = map[string]kmsg.ACLOperation{
	"ALL": kmsg.ACLOperationAll, "READ": kmsg.ACLOperationRead, "WRITE": kmsg.ACLOperationWrite,
	"CREATE": kmsg.ACLOperationCreate, "DELETE": kmsg.ACLOperationDelete, "ALTER": kmsg.ACLOperationAlter,
	"DESCRIBE": kmsg.ACLOperationDescribe, "CLUSTERACTION": kmsg.ACLOperationClusterAction,
	"DESCRIBECONFIGS": kmsg.ACLOperationDescribeConfigs, "ALTERCONFIGS": kmsg.ACLOperationAlterConfigs,
	"IDEMPOTENTWRITE": kmsg.ACLOperationIdempotentWrite, "CREATETOKENS": kmsg.ACLOperationCreateTokens,
	"DESCRIBETOKENS": kmsg.ACLOperationDescribeTokens,
}

// pascal is Kafka's SecurityUtils.operationName: IDEMPOTENT_WRITE → IdempotentWrite.
func pascal(op kmsg.ACLOperation) string {
	var b strings.Builder
	up := true
	for _, c := range op.String() {
		switch {
		case c == '_':
			up = true
		case up:
			b.WriteRune(c)
			up = false
		default:
			b.WriteString(strings.ToLower(string(c)))
		}
	}
	return b.String()
}

// supported is Kafka's AclEntry.supportedOperations.
func supported(rt kmsg.ACLResourceType) []kmsg.ACLOperation {
	switch rt {
	case kmsg.ACLResourceTypeTopic:
		return []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationCreate, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs}
	case kmsg.ACLResourceTypeGroup:
		return []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete}
	case kmsg.ACLResourceTypeCluster:
		return []kmsg.ACLOperation{kmsg.ACLOperationCreate, kmsg.ACLOperationClusterAction, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationIdempotentWrite, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe}
	case kmsg.ACLResourceTypeTransactionalId:
		return []kmsg.ACLOperation{kmsg.ACLOperationDescribe, kmsg.ACLOperationWrite}
	case kmsg.ACLResourceTypeDelegationToken:
		return []kmsg.ACLOperation{kmsg.ACLOperationDescribe}
	case kmsg.ACLResourceTypeUser:
		return []kmsg.ACLOperation{kmsg.ACLOperationCreateTokens, kmsg.ACLOperationDescribeTokens}
	}
	return nil
}

type options struct {
	f                                      *cli.Flags
	add, remove, list, cluster             *bool
	producer, consumer, idempotent, force  *bool
	topics, groups, txnIDs, tokens, users  *cli.Strs
	allowP, denyP, allowH, denyH, ops, who *cli.Strs
	patternType                            *string
}

func strs(f *cli.Flags, name string) *cli.Strs {
	v := new(cli.Strs)
	f.Var(v, name, "")
	return v
}

func run(args []string, e *cli.Env) int {
	f := cli.NewFlags("acls", usage)
	o := options{f: f}
	bootstrap := f.Bootstrap()
	cmdConfig := f.CommandConfig()
	o.add, o.remove, o.list = f.Bool("add", false, ""), f.Bool("remove", false, ""), f.Bool("list", false, "")
	o.cluster, o.force = f.Bool("cluster", false, ""), f.Bool("force", false, "")
	o.producer, o.consumer, o.idempotent = f.Bool("producer", false, ""), f.Bool("consumer", false, ""), f.Bool("idempotent", false, "")
	o.topics, o.groups, o.txnIDs = strs(f, "topic"), strs(f, "group"), strs(f, "transactional-id")
	o.tokens, o.users = strs(f, "delegation-token"), strs(f, "user-principal")
	o.allowP, o.denyP, o.allowH, o.denyH = strs(f, "allow-principal"), strs(f, "deny-principal"), strs(f, "allow-host"), strs(f, "deny-host")
	o.ops, o.who = strs(f, "operation"), strs(f, "principal")
	o.patternType = f.String("resource-pattern-type", "LITERAL", "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	if msg := o.check(); msg != "" {
		return f.UsageError(e, "%s", msg)
	}
	pt, err := kmsg.ParseACLResourcePatternType(strings.ToUpper(*o.patternType))
	if err != nil || pt == kmsg.ACLResourcePatternTypeUnknown {
		return f.UsageError(e, "Unknown resource-pattern-type: %s", *o.patternType)
	}
	var (
		toACLs  map[pattern][]entry
		filters []pattern
	)
	if *o.list {
		filters = o.resources(pt)
	} else {
		if *o.add && (pt == kmsg.ACLResourcePatternTypeAny || pt == kmsg.ACLResourcePatternTypeMatch) {
			return f.UsageError(e, "A '--resource-pattern-type' value of '%s' is not valid when adding acls.", pt)
		}
		if len(o.resources(pt)) == 0 {
			return f.UsageError(e, "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>")
		}
		var msg string
		if toACLs, msg = o.resourceToACLs(pt); msg != "" {
			return f.UsageError(e, "%s", msg)
		}
		if *o.add {
			for _, acls := range toACLs {
				if len(acls) == 0 {
					return f.UsageError(e, "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
				}
			}
		}
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "acls", err)
	}
	defer cl.Close()
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	j := job{e: e, cl: cl}
	switch {
	case *o.add:
		err = j.add(ctx, toACLs)
	case *o.remove:
		err = j.remove(ctx, toACLs, *o.force)
	default:
		err = j.listACLs(ctx, filters, *o.who)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "Error while executing ACL command: %s\n", cli.ErrText(err))
		return cli.ExitError
	}
	return cli.ExitOK
}

// check is AclCommandOptions.checkArgs: the message of a bad command line.
func (o *options) check() string {
	actions := 0
	for _, a := range []*bool{o.add, o.remove, o.list} {
		if *a {
			actions++
		}
	}
	if actions != 1 {
		return "Command must include exactly one action: --list, --add, --remove. "
	}
	f := o.f
	if *o.list {
		for _, n := range []string{"producer", "consumer", "allow-host", "allow-principal", "deny-host", "deny-principal"} {
			if f.IsSet(n) {
				return fmt.Sprintf("Option \"[list]\" can't be used with option \"[%s]\"", n)
			}
		}
	}
	for _, conv := range []string{"producer", "consumer"} {
		if !f.IsSet(conv) {
			continue
		}
		for _, n := range []string{"operation", "deny-principal", "deny-host"} {
			if f.IsSet(n) {
				return fmt.Sprintf("Option \"[%s]\" can't be used with option \"[%s]\"", conv, n)
			}
		}
	}
	switch {
	case f.IsSet("principal") && !*o.list:
		return "The --principal option is only available if --list is set"
	case *o.producer && len(*o.topics) == 0:
		return "With --producer you must specify a --topic"
	case *o.idempotent && !*o.producer:
		return "The --idempotent option is only available if --producer is set"
	case *o.consumer && (len(*o.topics) == 0 || len(*o.groups) == 0 || (!*o.producer && (*o.cluster || len(*o.txnIDs) > 0))):
		return "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified."
	}
	return ""
}

// resources is getResourceFilter.
func (o *options) resources(pt kmsg.ACLResourcePatternType) []pattern {
	var out []pattern
	add := func(rt kmsg.ACLResourceType, names []string) {
		for _, n := range names {
			p := pattern{rt, strings.TrimSpace(n), pt}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	add(kmsg.ACLResourceTypeTopic, *o.topics)
	if pt == kmsg.ACLResourcePatternTypeLiteral && (*o.cluster || *o.idempotent) {
		out = append(out, pattern{kmsg.ACLResourceTypeCluster, clusterName, kmsg.ACLResourcePatternTypeLiteral})
	}
	add(kmsg.ACLResourceTypeGroup, *o.groups)
	add(kmsg.ACLResourceTypeTransactionalId, *o.txnIDs)
	add(kmsg.ACLResourceTypeDelegationToken, *o.tokens)
	add(kmsg.ACLResourceTypeUser, *o.users)
	return out
}

// entries is getAcl: every principal × operation × host of the flags.
func (o *options) entries(ops []kmsg.ACLOperation) []entry {
	var out []entry
	hosts := func(h *cli.Strs, principals *cli.Strs) []string {
		if len(*h) > 0 {
			return *h
		}
		if len(*principals) > 0 {
			return []string{"*"}
		}
		return nil
	}
	for _, side := range []struct {
		principals, hosts *cli.Strs
		perm              kmsg.ACLPermissionType
	}{{o.allowP, o.allowH, kmsg.ACLPermissionTypeAllow}, {o.denyP, o.denyH, kmsg.ACLPermissionTypeDeny}} {
		for _, p := range *side.principals {
			for _, op := range ops {
				for _, h := range hosts(side.hosts, side.principals) {
					en := entry{strings.TrimSpace(p), strings.TrimSpace(h), op, side.perm}
					if !slices.Contains(out, en) {
						out = append(out, en)
					}
				}
			}
		}
	}
	slices.SortFunc(out, compareEntries)
	return out
}

// resourceToACLs is getResourceFilterToAcls; it returns the usage message
// of an operation the resource type does not support.
func (o *options) resourceToACLs(pt kmsg.ACLResourcePatternType) (map[pattern][]entry, string) {
	out := map[pattern][]entry{}
	all := o.resources(pt)
	if !*o.producer && !*o.consumer {
		names := []string(*o.ops)
		if len(names) == 0 {
			names = []string{"All"}
		}
		var ops []kmsg.ACLOperation
		for _, n := range names {
			n = strings.TrimSpace(n)
			op, ok := operations[strings.ToUpper(n)]
			if !ok {
				op = kmsg.ACLOperationUnknown
			}
			ops = append(ops, op)
		}
		for _, p := range all {
			out[p] = o.entries(ops)
		}
	}
	if *o.producer {
		for _, p := range all {
			switch p.typ {
			case kmsg.ACLResourceTypeTopic:
				out[p] = o.entries([]kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationCreate})
			case kmsg.ACLResourceTypeTransactionalId:
				out[p] = o.entries([]kmsg.ACLOperation{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe})
			}
		}
		if *o.idempotent {
			out[pattern{kmsg.ACLResourceTypeCluster, clusterName, kmsg.ACLResourcePatternTypeLiteral}] = o.entries([]kmsg.ACLOperation{kmsg.ACLOperationIdempotentWrite})
		}
	}
	if *o.consumer {
		for _, p := range all {
			var add []entry
			switch p.typ {
			case kmsg.ACLResourceTypeTopic:
				add = o.entries([]kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe})
			case kmsg.ACLResourceTypeGroup:
				add = o.entries([]kmsg.ACLOperation{kmsg.ACLOperationRead})
			default:
				continue
			}
			merged := append(slices.Clone(out[p]), add...)
			slices.SortFunc(merged, compareEntries)
			out[p] = slices.CompactFunc(merged, func(a, b entry) bool { return a == b })
		}
	}
	for _, p := range sortedPatterns(out) {
		valid := append(supported(p.typ), kmsg.ACLOperationAll)
		for _, en := range out[p] {
			if !slices.Contains(valid, en.op) {
				names := make([]string, len(valid))
				for i, op := range valid {
					names[i] = pascal(op)
				}
				return nil, fmt.Sprintf("ResourceType %s only supports operations %s", p.typ, strings.Join(names, ", "))
			}
		}
	}
	return out, ""
}

func sortedPatterns[V any](m map[pattern]V) []pattern {
	out := make([]pattern, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, comparePatterns)
	return out
}

type job struct {
	e  *cli.Env
	cl *kgo.Client
}

// block is Kafka's "<title> `<resource>`: \n \t<e1>\n\t<e2> \n" + newline.
func (j *job) block(title string, p fmt.Stringer, es []entry) {
	lines := make([]string, len(es))
	for i, en := range es {
		lines[i] = "\t" + en.String()
	}
	fmt.Fprintf(j.e.Stdout, "%s `%s`: \n %s \n\n", title, p, strings.Join(lines, "\n"))
}

func (j *job) add(ctx context.Context, toACLs map[pattern][]entry) error {
	for _, p := range sortedPatterns(toACLs) {
		es := toACLs[p]
		j.block("Adding ACLs for resource", p, es)
		req := kmsg.NewPtrCreateACLsRequest()
		for _, en := range es {
			c := kmsg.NewCreateACLsRequestCreation()
			c.ResourceType, c.ResourceName, c.ResourcePatternType = p.typ, p.name, p.pt
			c.Principal, c.Host, c.Operation, c.PermissionType = en.principal, en.host, en.op, en.perm
			req.Creations = append(req.Creations, c)
		}
		resp, err := req.RequestWith(ctx, j.cl)
		if err != nil {
			return err
		}
		for _, r := range resp.Results {
			if err := codeErr(r.ErrorCode, r.ErrorMessage); err != nil {
				return err
			}
		}
	}
	return nil
}

func codeErr(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	err := kerr.ErrorForCode(code)
	if msg != nil && *msg != "" {
		var ke *kerr.Error
		if errors.As(err, &ke) {
			return fmt.Errorf("%s: %s", ke.Message, *msg)
		}
		return fmt.Errorf("%v: %s", err, *msg)
	}
	return err
}

func (j *job) confirm(msg string) bool {
	fmt.Fprintln(j.e.Stdout, msg)
	line, err := bufio.NewReader(j.e.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(line), "y")
}

func (j *job) remove(ctx context.Context, toACLs map[pattern][]entry, force bool) error {
	for _, p := range sortedPatterns(toACLs) {
		es := toACLs[p]
		req := kmsg.NewPtrDeleteACLsRequest()
		filter := func() kmsg.DeleteACLsRequestFilter {
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourceName, f.ResourcePatternType = p.typ, kmsg.StringPtr(p.name), p.pt
			f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
			return f
		}
		if len(es) == 0 {
			if !force && !j.confirm(fmt.Sprintf("Are you sure you want to delete all ACLs for resource filter `%s`? (y/n)", p)) {
				continue
			}
			req.Filters = append(req.Filters, filter())
		} else {
			lines := make([]string, len(es))
			for i, en := range es {
				lines[i] = "\t" + en.String()
			}
			if !force && !j.confirm(fmt.Sprintf("Are you sure you want to remove ACLs: \n %s \n from resource filter `%s`? (y/n)", strings.Join(lines, "\n"), p)) {
				continue
			}
			for _, en := range es {
				f := filter()
				f.Principal, f.Host, f.Operation, f.PermissionType = kmsg.StringPtr(en.principal), kmsg.StringPtr(en.host), en.op, en.perm
				req.Filters = append(req.Filters, f)
			}
		}
		resp, err := req.RequestWith(ctx, j.cl)
		if err != nil {
			return err
		}
		for _, r := range resp.Results {
			if err := codeErr(r.ErrorCode, r.ErrorMessage); err != nil {
				return err
			}
		}
	}
	return nil
}

func (j *job) describe(ctx context.Context, p *pattern) (map[pattern][]entry, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	if p != nil {
		req.ResourceType, req.ResourceName, req.ResourcePatternType = p.typ, kmsg.StringPtr(p.name), p.pt
	}
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, j.cl)
	if err != nil {
		return nil, err
	}
	if err := codeErr(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return nil, err
	}
	out := map[pattern][]entry{}
	for _, r := range resp.Resources {
		rp := pattern{r.ResourceType, r.ResourceName, r.ResourcePatternType}
		for _, a := range r.ACLs {
			out[rp] = append(out[rp], entry{a.Principal, a.Host, a.Operation, a.PermissionType})
		}
	}
	return out, nil
}

func (j *job) listACLs(ctx context.Context, filters []pattern, principals []string) error {
	all := map[pattern][]entry{}
	if len(filters) == 0 {
		var err error
		if all, err = j.describe(ctx, nil); err != nil {
			return err
		}
	}
	for _, f := range filters {
		got, err := j.describe(ctx, &f)
		if err != nil {
			return err
		}
		for p, es := range got {
			all[p] = append(all[p], es...)
		}
	}
	for p, es := range all {
		slices.SortFunc(es, compareEntries)
		all[p] = slices.CompactFunc(es, func(a, b entry) bool { return a == b })
	}
	print := func(m map[pattern][]entry) {
		for _, p := range sortedPatterns(m) {
			j.block("Current ACLs for resource", p, m[p])
		}
	}
	if len(principals) == 0 {
		print(all)
		return nil
	}
	for _, who := range principals {
		who = strings.TrimSpace(who)
		if _, _, ok := strings.Cut(who, ":"); !ok {
			return errors.New("expected a string in format principalType:principalName but got " + who)
		}
		fmt.Fprintf(j.e.Stdout, "ACLs for principal `%s`\n", who)
		mine := map[pattern][]entry{}
		for p, es := range all {
			for _, en := range es {
				if en.principal == who {
					mine[p] = append(mine[p], en)
				}
			}
		}
		print(mine)
	}
	return nil
}
