package streams

// The application's internal topics, found and deleted
// (StreamsResetter.maybeDeleteInternalTopics).

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/stratabroker/strata/tools/cli"
)

// fkJoinTopic matches the foreign-key join topics Kafka Streams names
// <prefix>-KTABLE-FK-JOIN-SUBSCRIPTION-{REGISTRATION,RESPONSE}-<n>-topic.
var fkJoinTopic = regexp.MustCompile(`^.+-KTABLE-FK-JOIN-SUBSCRIPTION-(REGISTRATION|RESPONSE)-\d+-topic$`)

// matchesInternalTopicFormat is StreamsResetter.matchesInternalTopicFormat:
// the names Kafka Streams gives the topics it creates.
func matchesInternalTopicFormat(topic string) bool {
	return strings.HasSuffix(topic, "-changelog") || strings.HasSuffix(topic, "-repartition") ||
		strings.HasSuffix(topic, "-subscription-registration-topic") ||
		strings.HasSuffix(topic, "-subscription-response-topic") ||
		fkJoinTopic.MatchString(topic)
}

// isInferredInternalTopic: topic belongs to the application (its name
// starts with "<application.id>-") and is named as Kafka Streams names its
// internal topics, and was not given as an input or intermediate topic
// (KAFKA-7930).
func (o *options) isInferredInternalTopic(topic string) bool {
	return !slices.Contains(o.input, topic) && !slices.Contains(o.intermediate, topic) &&
		strings.HasPrefix(topic, o.appID+"-") && matchesInternalTopicFormat(topic)
}

// deleteInternalTopics deletes the inferred internal topics, or those of
// --internal-topics, which must all be inferred ones.
func (r *resetter) deleteInternalTopics(ctx context.Context) error {
	var inferred []string
	for t := range r.allTopics {
		if r.o.isInferredInternalTopic(t) {
			inferred = append(inferred, t)
		}
	}
	sort.Strings(inferred)
	toDelete := inferred
	if len(r.o.internal) > 0 {
		for _, t := range r.o.internal {
			if !slices.Contains(inferred, t) {
				return &kafkaError{"java.lang.IllegalArgumentException", "Invalid topic specified in the " +
					"--internal-topics option. " +
					"Ensure that the topics specified are all internal topics. " +
					"Do a dry run without the --internal-topics option to see the " +
					"list of all internal topics that can be deleted."}
			}
		}
		toDelete = r.o.internal
		fmt.Fprintln(r.e.Stdout, "Deleting specified internal topics "+javaList(toDelete))
	} else {
		fmt.Fprintln(r.e.Stdout, "Deleting inferred internal topics "+javaList(toDelete))
	}
	if !r.o.dryRun && len(toDelete) > 0 {
		if err := r.deleteTopics(ctx, toDelete); err != nil {
			return err
		}
	}
	fmt.Fprintln(r.e.Stdout, "Done.")
	return nil
}

// deleteTopics deletes topics with one DeleteTopics request; each topic
// that fails gets Kafka's "ERROR: deleting topic" line and its cause.
func (r *resetter) deleteTopics(ctx context.Context, topics []string) error {
	dctx, cancel := r.e.OpContext(ctx)
	resps, err := r.adm.DeleteTopics(dctx, topics...)
	cancel()
	if err != nil {
		return fmt.Errorf("deleting topics: %s", cli.ErrText(err))
	}
	failed := false
	for _, t := range topics {
		resp, ok := resps[t]
		switch {
		case !ok:
			fmt.Fprintf(r.e.Stderr, "ERROR: deleting topic %s\n\tno answer from the broker\n", t)
			failed = true
		case resp.Err != nil:
			fmt.Fprintf(r.e.Stderr, "ERROR: deleting topic %s\n\t%s\n", t, cli.ErrText(resp.Err))
			failed = true
		}
	}
	if failed {
		return &kafkaError{"java.lang.RuntimeException", "Encountered an error deleting one or more topics"}
	}
	return nil
}
