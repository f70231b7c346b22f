package topics

// Client quota configs of kafka-configs.sh (ConfigCommand's
// alterQuotaConfigs and describeQuotaConfigs) over AlterClientQuotas and
// DescribeClientQuotas: --entity-type users|clients|ips with
// --entity-name or --entity-default.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// quotaEntityTypes maps configs' entity types to ClientQuotaEntity types.
var quotaEntityTypes = map[string]string{"users": "user", "clients": "client-id", "ips": "ip"}

// ipQuotaConfigs are the ip entity's configs (DynamicConfig.Ip).
var ipQuotaConfigs = map[string]bool{"connection_creation_rate": true}

// javaDouble formats v as Java's Double.toString.
func javaDouble(v float64) string {
	if a := abs(v); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// quotaPart is one part of a quota entity: configs' entity type (users,
// clients, ips) and name, or the default.
type quotaPart struct {
	typ, name string
	isDefault bool
}

// alterQuotas sets adds and removes deletes on one entity (a user and a
// client id together when both are given).
func alterQuotas(ctx context.Context, e *cli.Env, cl *kgo.Client, parts []quotaPart, adds [][2]string, deletes []string) error {
	req := kmsg.NewPtrAlterClientQuotasRequest()
	entry := kmsg.NewAlterClientQuotasRequestEntry()
	for _, p := range parts {
		ent := kmsg.NewAlterClientQuotasRequestEntryEntity()
		ent.Type = quotaEntityTypes[p.typ]
		if !p.isDefault {
			ent.Name = kmsg.StringPtr(p.name)
		}
		entry.Entity = append(entry.Entity, ent)
	}
	entityType, name, isDefault := parts[0].typ, parts[0].name, parts[0].isDefault
	for _, kv := range adds {
		v, err := strconv.ParseFloat(kv[1], 64)
		if err != nil {
			return fmt.Errorf("Cannot parse quota configuration value for %s: %s", kv[0], kv[1])
		}
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Value = kv[0], v
		entry.Ops = append(entry.Ops, op)
	}
	for _, k := range deletes {
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Remove = k, true
		entry.Ops = append(entry.Ops, op)
	}
	req.Entries = append(req.Entries, entry)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, r := range resp.Entries {
		if err := kerrOf(r.ErrorCode); err != nil {
			if r.ErrorMessage != nil {
				return fmt.Errorf("%s (%s)", *r.ErrorMessage, cli.ErrText(err))
			}
			return err
		}
	}
	if isDefault {
		fmt.Fprintf(e.Stdout, "Completed updating default config for %s in the cluster.\n", entityType)
	} else {
		fmt.Fprintf(e.Stdout, "Completed updating config for %s %s.\n", strings.TrimSuffix(entityType, "s"), name)
	}
	return nil
}

// describeQuotas prints the quotas of the entities matching parts (a part
// with name "" and not isDefault: every one of its type), as
// describeQuotaConfigs.
func describeQuotas(ctx context.Context, e *cli.Env, cl *kgo.Client, parts []quotaPart) error {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	req.Strict = true
	for _, p := range parts {
		c := kmsg.NewDescribeClientQuotasRequestComponent()
		c.EntityType = quotaEntityTypes[p.typ]
		switch {
		case p.isDefault:
			c.MatchType = 1
		case p.name != "":
			c.MatchType, c.Match = 0, kmsg.StringPtr(p.name)
		default:
			c.MatchType = 2
		}
		req.Components = append(req.Components, c)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if err := kerrOf(resp.ErrorCode); err != nil {
		if resp.ErrorMessage != nil {
			return fmt.Errorf("%s (%s)", *resp.ErrorMessage, cli.ErrText(err))
		}
		return err
	}
	typeStr := map[string]string{"user": "user-principal", "client-id": "client-id", "ip": "ip"}
	for _, en := range resp.Entries {
		var parts []string
		for _, t := range []string{"user", "client-id", "ip"} {
			for _, p := range en.Entity {
				if p.Type != t {
					continue
				}
				if p.Name != nil {
					parts = append(parts, fmt.Sprintf("%s '%s'", typeStr[t], *p.Name))
				} else {
					parts = append(parts, "the default "+typeStr[t])
				}
			}
		}
		var vals []string
		for _, v := range en.Values {
			vals = append(vals, v.Key+"="+javaDouble(v.Value))
		}
		fmt.Fprintf(e.Stdout, "Quota configs for %s are %s\n", strings.Join(parts, ", "), strings.Join(vals, ", "))
	}
	return nil
}

// runQuotaEntity is configs --entity-type clients|ips (users go through
// runUsers, which shares the entity with SCRAM credentials).
func runQuotaEntity(e *cli.Env, f *cli.Flags, bootstrap string, aopts []kgo.Opt, parts []quotaPart, alter bool, addConfig, deleteConfig string) int {
	entityType, name, isDefault := parts[len(parts)-1].typ, parts[len(parts)-1].name, parts[len(parts)-1].isDefault
	var adds [][2]string
	var dels []string
	if alter {
		if name == "" && !isDefault {
			return f.UsageError(e, "--alter needs --entity-name (or --entity-default)")
		}
		var err error
		if adds, err = parseAddConfig(addConfig); err != nil {
			return f.UsageError(e, "--add-config: %v", err)
		}
		dels = cli.SplitList(deleteConfig)
		if len(adds)+len(dels) == 0 {
			return f.UsageError(e, "--alter needs --add-config or --delete-config")
		}
		var unknownAdd, unknownDel []string
		valid := quotaConfigs
		if entityType == "ips" {
			valid = ipQuotaConfigs
		}
		for _, kv := range adds {
			if !valid[kv[0]] || (entityType == "clients" && kv[0] == "connection_creation_rate") {
				unknownAdd = append(unknownAdd, kv[0])
			}
		}
		for _, k := range dels {
			if !valid[k] || (entityType == "clients" && k == "connection_creation_rate") {
				unknownDel = append(unknownDel, k)
			}
		}
		if entityType == "ips" && len(unknownAdd)+len(unknownDel) > 0 {
			return cli.Fail(e, "configs", fmt.Errorf("Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: %s", strings.Join(append(unknownAdd, unknownDel...), ",")))
		}
		if len(unknownAdd) > 0 {
			return cli.Fail(e, "configs", fmt.Errorf("Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknownAdd, ", ")))
		}
		if len(unknownDel) > 0 {
			return cli.Fail(e, "configs", fmt.Errorf("Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknownDel, ", ")))
		}
	} else if addConfig != "" || deleteConfig != "" {
		return f.UsageError(e, "--add-config and --delete-config go with --alter")
	}
	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "configs", err)
	}
	defer cl.Close()
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	if alter {
		err = alterQuotas(ctx, e, cl, parts, adds, dels)
	} else {
		err = describeQuotas(ctx, e, cl, parts)
	}
	if err != nil {
		return cli.Fail(e, "configs", err)
	}
	return cli.ExitOK
}

func kerrOf(code int16) error { return kerr.ErrorForCode(code) }
