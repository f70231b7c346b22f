package delegationtokens

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// Commands is the family's one tool.
var Commands = []cli.Command{
	{Name: "delegation-tokens", Summary: "create, renew, expire or describe delegation tokens", Run: run},
}

const usage = `Usage: strata delegation-tokens --bootstrap-server S --command-config FILE <action> [flags]

This tool helps to create, renew, expire, or describe delegation tokens.

Actions (exactly one):
  --create                 Create a new delegation token. Use --renewer-principal option to pass
                           renewer principals (needs --max-life-time-period).
  --renew                  Renew delegation token. Use --renew-time-period option to set renew
                           time period (needs --hmac).
  --expire                 Expire delegation token. Use --expiry-time-period option to expire
                           the token (needs --hmac).
  --describe               Describe delegation tokens for the given principals. Use
                           --owner-principal to pass owner/renewer principals. If --owner-principal
                           option is not supplied, all the user owned tokens and tokens where user
                           have Describe permission will be returned.
Flags:
  --bootstrap-server S     REQUIRED: server(s) to use for bootstrapping.
  --command-config FILE    REQUIRED: A property file containing configs to be passed to Admin
                           Client. Token management operations are allowed in secure mode only.
                           This config file is used to pass security related configs.
  --owner-principal P      owner is a Kafka principal. They should be in principalType:name
                           format (repeatable).
  --renewer-principal P    renewer is a Kafka principal. They should be in principalType:name
                           format (repeatable).
  --max-life-time-period MS  Max life period for the token in milliseconds. If the value is -1,
                           then token max life time will default to a server side config value
                           (delegation.token.max.lifetime.ms).
  --renew-time-period MS   Renew time period in milliseconds. If the value is -1, then the renew
                           time period will default to a server side config value
                           (delegation.token.expiry.time.ms).
  --expiry-time-period MS  Expiry time period in milliseconds. If the value is -1, then the
                           token will get invalidated immediately.
  --hmac H                 HMAC of the delegation token
`

// principal is a KafkaPrincipal: type and name.
type principal struct{ typ, name string }

func (p principal) String() string { return p.typ + ":" + p.name }

func parsePrincipals(ss []string) ([]principal, error) {
	var ps []principal
	for _, s := range ss {
		typ, name, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("expected a string in format principalType:principalName but got %s", s)
		}
		ps = append(ps, principal{typ, name})
	}
	return ps, nil
}

// javaList is a Java List's toString.
func javaList[T fmt.Stringer](xs []T) string {
	var ss []string
	for _, x := range xs {
		ss = append(ss, x.String())
	}
	return "[" + strings.Join(ss, ", ") + "]"
}

func run(args []string, e *cli.Env) int {
	f := cli.NewFlags("delegation-tokens", usage)
	bootstrap := f.String("bootstrap-server", "", "")
	cmdConfig := f.CommandConfig()
	create := f.Bool("create", false, "")
	renew := f.Bool("renew", false, "")
	expire := f.Bool("expire", false, "")
	describe := f.Bool("describe", false, "")
	owners := f.MultiValue("owner-principal", "")
	renewers := f.MultiValue("renewer-principal", "")
	maxLife := f.String("max-life-time-period", "", "")
	renewPeriod := f.String("renew-time-period", "", "")
	expiryPeriod := f.String("expiry-time-period", "", "")
	hmacStr := f.String("hmac", "", "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	n := 0
	for _, b := range []bool{*create, *renew, *expire, *describe} {
		if b {
			n++
		}
	}
	if n != 1 {
		return f.UsageError(e, "Command must include exactly one action: --create, --renew, --expire or --describe")
	}
	for _, req := range []string{"bootstrap-server", "command-config"} {
		if !f.IsSet(req) {
			return f.UsageError(e, "Missing required argument \"[%s]\"", req)
		}
	}
	need := map[bool][]string{*create: {"max-life-time-period"}, *renew: {"hmac", "renew-time-period"}, *expire: {"hmac", "expiry-time-period"}}[true]
	for _, req := range need {
		if !f.IsSet(req) {
			return f.UsageError(e, "Missing required argument \"[%s]\"", req)
		}
	}
	invalid := map[bool][]string{
		*create:   {"hmac", "renew-time-period", "expiry-time-period"},
		*renew:    {"renewer-principal", "max-life-time-period", "expiry-time-period", "owner-principal"},
		*expire:   {"renew", "max-life-time-period", "renew-time-period", "owner-principal"},
		*describe: {"renew-time-period", "max-life-time-period", "hmac", "expiry-time-period"},
	}[true]
	action := map[bool]string{*create: "create", *renew: "renew", *expire: "expire", *describe: "describe"}[true]
	for _, bad := range invalid {
		if f.IsSet(bad) {
			return f.UsageError(e, "Option \"[%s]\" can't be used with option \"[%s]\"", action, bad)
		}
	}
	long := func(name, v string) (int64, bool) {
		if v == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	var periods [3]int64
	for i, p := range []struct{ name, v string }{{"max-life-time-period", *maxLife}, {"renew-time-period", *renewPeriod}, {"expiry-time-period", *expiryPeriod}} {
		n, ok := long(p.name, p.v)
		if !ok {
			return f.UsageError(e, "Cannot parse argument '%s' of option %s", p.v, p.name)
		}
		periods[i] = n
	}
	ownerPs, err := parsePrincipals(*owners)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	renewerPs, err := parsePrincipals(*renewers)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "delegation-tokens", err)
	}
	defer cl.Close()
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	switch {
	case *create:
		err = doCreate(ctx, e, cl, ownerPs, renewerPs, periods[0])
	case *renew:
		err = doRenew(ctx, e, cl, *hmacStr, periods[1], false)
	case *expire:
		err = doRenew(ctx, e, cl, *hmacStr, periods[2], true)
	default:
		err = doDescribe(ctx, e, cl, ownerPs)
	}
	if err != nil {
		return cli.Fail(e, "delegation-tokens", err)
	}
	return cli.ExitOK
}

// date is Kafka's SimpleDateFormat("yyyy-MM-dd'T'HH:mm") in local time.
func date(ms int64) string { return time.UnixMilli(ms).In(time.Local).Format("2006-01-02T15:04") }

func codeErr(code int16) error {
	if code == 0 {
		return nil
	}
	return fmt.Errorf("%s", cli.ErrText(kerr.ErrorForCode(code)))
}

type tokenRow struct {
	id, hmac, owner, requester, renewers string
	issue, expiry, max                   int64
}

func printTokens(e *cli.Env, rows []tokenRow) {
	const format = "\n%-15s %-30s %-15s %-15s %-25s %-15s %-15s %-15s\n"
	fmt.Fprintf(e.Stdout, format, "TOKENID", "HMAC", "OWNER", "REQUESTER", "RENEWERS", "ISSUEDATE", "EXPIRYDATE", "MAXDATE")
	for _, r := range rows {
		fmt.Fprintf(e.Stdout, format, r.id, r.hmac, r.owner, r.requester, r.renewers, date(r.issue), date(r.expiry), date(r.max))
		fmt.Fprintln(e.Stdout)
	}
}

func doCreate(ctx context.Context, e *cli.Env, cl *kgo.Client, owners, renewers []principal, maxLife int64) error {
	fmt.Fprintf(e.Stdout, "Calling create token operation with renewers :%s , max-life-time-period :%d\n", javaList(renewers), maxLife)
	req := kmsg.NewPtrCreateDelegationTokenRequest()
	req.MaxLifetimeMillis = maxLife
	if len(owners) > 0 {
		req.OwnerPrincipalType, req.OwnerPrincipalName = kmsg.StringPtr(owners[0].typ), kmsg.StringPtr(owners[0].name)
	}
	for _, r := range renewers {
		rn := kmsg.NewCreateDelegationTokenRequestRenewer()
		rn.PrincipalType, rn.PrincipalName = r.typ, r.name
		req.Renewers = append(req.Renewers, rn)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if err := codeErr(resp.ErrorCode); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Created delegation token with tokenId : %s\n", resp.TokenID)
	printTokens(e, []tokenRow{{
		id: resp.TokenID, hmac: base64.StdEncoding.EncodeToString(resp.HMAC),
		owner: resp.PrincipalType + ":" + resp.PrincipalName, requester: resp.TokenRequesterPrincipalType + ":" + resp.TokenRequesterPrincipalName,
		renewers: javaList(renewers), issue: resp.IssueTimestamp, expiry: resp.ExpiryTimestamp, max: resp.MaxTimestamp,
	}})
	return nil
}

func doRenew(ctx context.Context, e *cli.Env, cl *kgo.Client, hmacB64 string, period int64, expire bool) error {
	mac, err := base64.StdEncoding.DecodeString(hmacB64)
	if err != nil {
		return fmt.Errorf("Illegal base64 character in --hmac: %v", err)
	}
	var code int16
	var expiry int64
	if expire {
		fmt.Fprintf(e.Stdout, "Calling expire token operation with hmac :%s , expire-time-period :%d\n", hmacB64, period)
		req := kmsg.NewPtrExpireDelegationTokenRequest()
		req.HMAC, req.ExpiryPeriodMillis = mac, period
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		code, expiry = resp.ErrorCode, resp.ExpiryTimestamp
	} else {
		fmt.Fprintf(e.Stdout, "Calling renew token operation with hmac :%s , renew-time-period :%d\n", hmacB64, period)
		req := kmsg.NewPtrRenewDelegationTokenRequest()
		req.HMAC, req.RenewTimeMillis = mac, period
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		code, expiry = resp.ErrorCode, resp.ExpiryTimestamp
	}
	if err := codeErr(code); err != nil {
		return err
	}
	what := "renew"
	if expire {
		what = "expire"
	}
	fmt.Fprintf(e.Stdout, "Completed %s operation. New expiry date : %s", what, date(expiry))
	return nil
}

func doDescribe(ctx context.Context, e *cli.Env, cl *kgo.Client, owners []principal) error {
	req := kmsg.NewPtrDescribeDelegationTokenRequest()
	if len(owners) == 0 {
		fmt.Fprintln(e.Stdout, "Calling describe token operation for current user.")
	} else {
		fmt.Fprintf(e.Stdout, "Calling describe token operation for owners: %s\n", javaList(owners))
		for _, o := range owners {
			ro := kmsg.NewDescribeDelegationTokenRequestOwner()
			ro.PrincipalType, ro.PrincipalName = o.typ, o.name
			req.Owners = append(req.Owners, ro)
		}
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if err := codeErr(resp.ErrorCode); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Total number of tokens : %d", len(resp.TokenDetails))
	var rows []tokenRow
	for _, d := range resp.TokenDetails {
		var rs []principal
		for _, r := range d.Renewers {
			rs = append(rs, principal{r.PrincipalType, r.PrincipalName})
		}
		rows = append(rows, tokenRow{
			id: d.TokenID, hmac: base64.StdEncoding.EncodeToString(d.HMAC),
			owner: d.PrincipalType + ":" + d.PrincipalName, requester: d.TokenRequesterPrincipalType + ":" + d.TokenRequesterPrincipalName,
			renewers: javaList(rs), issue: d.IssueTimestamp, expiry: d.ExpiryTimestamp, max: d.MaxTimestamp,
		})
	}
	printTokens(e, rows)
	return nil
}
