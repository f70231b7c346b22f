package topics

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/cli"
)

// SCRAM mechanisms a users entity's config may name (kafka-configs.sh's
// ScramMechanism values), with their minimum iterations.
var scramMechanisms = map[string]kadm.ScramMechanism{
	"SCRAM-SHA-256": kadm.ScramSha256,
	"SCRAM-SHA-512": kadm.ScramSha512,
}

const (
	defaultScramIterations = 4096
	minScramIterations     = 4096
)

// quotaConfigs are the user and client quota configs of kafka-configs.sh
// (configs_quotas.go); connection_creation_rate is the ip entity's.
var quotaConfigs = map[string]bool{
	"producer_byte_rate": true, "consumer_byte_rate": true, "request_percentage": true,
	"controller_mutation_rate": true, "connection_creation_rate": true,
}

var errUserDefaultScram = errors.New("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.")

var scramCredentialPattern = regexp.MustCompile(`^(?:iterations=(-?[0-9]*),)?password=(.*)$`)

// alterUsers is ConfigCommand's alterUserScramCredentialConfigs: SCRAM
// credentials upserted (the password salted by the client, kadm) or
// deleted for one user.
func alterUsers(ctx context.Context, e *cli.Env, cl *kgo.Client, adm *kadm.Client, user string, isDefault bool, adds [][2]string, deletes []string) error {
	var unknownAdd, unknownDel, quota []string
	var ups []kadm.UpsertSCRAM
	var dels []kadm.DeleteSCRAM
	for _, kv := range adds {
		m, ok := scramMechanisms[kv[0]]
		switch {
		case quotaConfigs[kv[0]] && kv[0] != "connection_creation_rate":
			quota = append(quota, kv[0])
			continue
		case !ok:
			unknownAdd = append(unknownAdd, kv[0])
			continue
		}
		g := scramCredentialPattern.FindStringSubmatch(kv[1])
		if g == nil {
			return fmt.Errorf("Invalid credential property %s=%s", kv[0], kv[1])
		}
		iters := defaultScramIterations
		if g[1] != "" && g[1] != "-1" {
			n, err := strconv.Atoi(g[1])
			if err != nil {
				return fmt.Errorf("Invalid credential property %s=%s", kv[0], kv[1])
			}
			iters = n
		}
		if iters < minScramIterations {
			return fmt.Errorf("Iterations %d is less than the minimum %d required for %s", iters, minScramIterations, kv[0])
		}
		ups = append(ups, kadm.UpsertSCRAM{User: user, Mechanism: m, Iterations: int32(iters), Password: g[2]})
	}
	for _, k := range deletes {
		m, ok := scramMechanisms[k]
		switch {
		case quotaConfigs[k] && k != "connection_creation_rate":
			quota = append(quota, k)
		case !ok:
			unknownDel = append(unknownDel, k)
		default:
			dels = append(dels, kadm.DeleteSCRAM{User: user, Mechanism: m})
		}
	}
	if len(unknownAdd) > 0 {
		return fmt.Errorf("Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknownAdd, ", "))
	}
	if len(unknownDel) > 0 {
		return fmt.Errorf("Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: %s", strings.Join(unknownDel, ", "))
	}
	if len(ups)+len(dels) > 0 {
		if isDefault {
			return errUserDefaultScram
		}
		if len(quota) > 0 {
			return errors.New("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.")
		}
	}
	if len(quota) > 0 {
		return alterQuotas(ctx, e, cl, []quotaPart{{"users", user, isDefault}}, adds, deletes)
	}
	res, err := adm.AlterUserSCRAMs(ctx, dels, ups)
	if err != nil {
		return err
	}
	for _, r := range res.Sorted() {
		if r.Err != nil {
			if r.ErrMessage != "" {
				return fmt.Errorf("altering SCRAM credentials of user %s: %s (%s)", user, r.ErrMessage, cli.ErrText(r.Err))
			}
			return fmt.Errorf("altering SCRAM credentials of user %s: %s", user, cli.ErrText(r.Err))
		}
	}
	fmt.Fprintf(e.Stdout, "Completed updating config for user %s.\n", user)
	return nil
}

// describeUsers prints each user's SCRAM credentials as kafka-configs.sh
// does; users without credentials are left out, as Kafka's admin client
// leaves them out of users().
func describeUsers(ctx context.Context, e *cli.Env, cl *kgo.Client, adm *kadm.Client, user string, isDefault bool) error {
	if err := describeQuotas(ctx, e, cl, []quotaPart{{"users", user, isDefault}}); err != nil {
		return err
	}
	if isDefault {
		return nil
	}
	var users []string
	if user != "" {
		users = []string{user}
	}
	res, err := adm.DescribeUserSCRAMs(ctx, users...)
	if err != nil {
		return err
	}
	for _, r := range res.Sorted() {
		if r.Err != nil {
			if errors.Is(r.Err, kerr.ResourceNotFound) {
				continue
			}
			fmt.Fprintf(e.Stdout, "Error retrieving SCRAM credential configs for user-principal '%s': %s: %s\n", r.User, cli.ErrText(r.Err), r.ErrMessage)
			continue
		}
		var parts []string
		for _, ci := range r.CredInfos {
			parts = append(parts, fmt.Sprintf("%s=iterations=%d", ci.Mechanism, ci.Iterations))
		}
		fmt.Fprintf(e.Stdout, "SCRAM credential configs for user-principal '%s' are %s\n", r.User, strings.Join(parts, ", "))
	}
	return nil
}

// runUsers is configs --entity-type users.
func runUsers(e *cli.Env, f *cli.Flags, bootstrap string, aopts []kgo.Opt, name string, isDefault, alter bool, addConfig, deleteConfig string) int {
	var adds [][2]string
	var dels []string
	if alter {
		if name == "" && !isDefault {
			return f.UsageError(e, "--alter needs --entity-name")
		}
		var err error
		if adds, err = parseAddConfig(addConfig); err != nil {
			return f.UsageError(e, "--add-config: %v", err)
		}
		dels = cli.SplitList(deleteConfig)
		if len(adds)+len(dels) == 0 {
			return f.UsageError(e, "--alter needs --add-config or --delete-config")
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
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	if alter {
		err = alterUsers(ctx, e, cl, adm, name, isDefault, adds, dels)
	} else {
		err = describeUsers(ctx, e, cl, adm, name, isDefault)
	}
	if errors.Is(err, errUserDefaultScram) {
		return f.UsageError(e, "%v", err)
	}
	if err != nil {
		return cli.Fail(e, "configs", err)
	}
	return cli.ExitOK
}
