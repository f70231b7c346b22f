package streams

// The check that the application is stopped, and --force's removal of the
// group's members (StreamsResetter.maybeDeleteActiveConsumers).

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// maxRemoveRetries is Kafka's MAX_REMOVE_MEMBERS_FROM_CONSUMER_GROUP_RETRIES.
const maxRemoveRetries = 3

// leaveReason is the reason the Java admin gives for members it removes
// (RemoveMembersFromConsumerGroupOptions without a reason).
const leaveReason = "member was removed by an admin"

// errMemberLeft: a member to remove was already gone (UNKNOWN_MEMBER_ID);
// the group is described again.
var errMemberLeft = errors.New("a member left the group meanwhile")

// removeActiveMembers refuses an application whose group has members,
// unless --force, which removes them.
func (r *resetter) removeActiveMembers(ctx context.Context) error {
	for retries := 0; ; {
		dctx, cancel := r.e.OpContext(ctx)
		described, err := r.adm.DescribeGroups(dctx, r.o.appID)
		cancel()
		if err != nil {
			return fmt.Errorf("describing group %s: %s", r.o.appID, cli.ErrText(err))
		}
		g := described[r.o.appID]
		if g.Err != nil {
			if errors.Is(g.Err, kerr.GroupIDNotFound) {
				return nil
			}
			return fmt.Errorf("describing group %s: %s", r.o.appID, cli.ErrText(g.Err))
		}
		if g.ProtocolType != "consumer" && g.ProtocolType != "" {
			// DescribeConsumerGroupsHandler's refusal of other group types.
			return &kafkaError{"java.util.concurrent.ExecutionException", "java.lang.IllegalArgumentException: GroupId " +
				r.o.appID + " is not a consumer group (" + g.ProtocolType + ")."}
		}
		if len(g.Members) == 0 {
			return nil
		}
		if !r.o.force {
			descs := make([]string, len(g.Members))
			for i, m := range g.Members {
				descs[i] = memberString(m)
			}
			return &kafkaError{"java.lang.IllegalStateException", "Consumer group '" + r.o.appID + "' is still active " +
				"and has following members: " + javaList(descs) + ". " +
				"Make sure to stop all running application instances before running the reset tool." +
				" You can use option '--force' to remove active members from the group."}
		}
		fmt.Fprintln(r.e.Stdout, "Force deleting all active members in the group: "+r.o.appID)
		err = r.removeMembers(ctx, g.Members)
		if errors.Is(err, errMemberLeft) && retries < maxRemoveRetries {
			retries++
			continue
		}
		return err
	}
}

// removeMembers sends one LeaveGroup for members, each named by its
// instance id if it has one and else by its member id, as the Java admin's
// removeMembersFromConsumerGroup does for "all members".
func (r *resetter) removeMembers(ctx context.Context, members []kadm.DescribedGroupMember) error {
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = r.o.appID
	for _, m := range members {
		rm := kmsg.NewLeaveGroupRequestMember()
		if m.InstanceID != nil {
			rm.InstanceID = m.InstanceID
		} else {
			rm.MemberID = m.MemberID
		}
		rm.Reason = kmsg.StringPtr(leaveReason)
		req.Members = append(req.Members, rm)
	}
	ctx, cancel := r.e.OpContext(ctx)
	defer cancel()
	resp, err := req.RequestWith(ctx, r.cl)
	if err != nil {
		return fmt.Errorf("removing the members of group %s: %s", r.o.appID, cli.ErrText(err))
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("removing the members of group %s: %s", r.o.appID, cli.ErrText(err))
	}
	for _, m := range resp.Members {
		if err := kerr.ErrorForCode(m.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownMemberID) {
				return errMemberLeft
			}
			return fmt.Errorf("removing member %s of group %s: %s", m.MemberID, r.o.appID, cli.ErrText(err))
		}
	}
	return nil
}

// memberString is a member as the Java admin's MemberDescription.toString
// prints one of a classic group (no target assignment, epoch or upgrade
// state); its partitions, a hash set in Java, come sorted.
func memberString(m kadm.DescribedGroupMember) string {
	instance := "null"
	if m.InstanceID != nil {
		instance = *m.InstanceID
	}
	var tps []string
	if c, ok := m.Assigned.AsConsumer(); ok {
		type tp struct {
			t string
			p int32
		}
		var all []tp
		for _, t := range c.Topics {
			for _, p := range t.Partitions {
				all = append(all, tp{t.Topic, p})
			}
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].t != all[j].t {
				return all[i].t < all[j].t
			}
			return all[i].p < all[j].p
		})
		for _, x := range all {
			tps = append(tps, fmt.Sprintf("%s-%d", x.t, x.p))
		}
	}
	return "(memberId=" + m.MemberID +
		", groupInstanceId=" + instance +
		", clientId=" + m.ClientID +
		", host=" + m.ClientHost +
		", assignment=(topicPartitions=" + strings.Join(tps, ",") + ")" +
		", targetAssignment=Optional.empty, memberEpoch=null, upgraded=null)"
}
