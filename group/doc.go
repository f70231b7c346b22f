// Package group is Strata's classic consumer-group coordinator: Kafka's
// GroupCoordinator and GroupMetadataManager for the classic protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and committed offsets
// (OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups, ListGroups,
// DescribeGroups), for every group, on one node.
//
// # States
//
// A group is Empty, PreparingRebalance, CompletingRebalance, Stable or
// Dead, as ClassicGroupState defines them:
//
//	Empty ──join──► PreparingRebalance ──all joined / rebalance timeout──► CompletingRebalance
//	  ▲                   ▲                                                     │ leader's SyncGroup stored
//	  │ last member gone  └──── join, leave, session expiry ──── Stable ◄───────┘
//	Dead: deleted (DeleteGroups, or an empty group whose offsets expired or went with their topic)
//
// The first rebalance of an empty group waits group.initial.rebalance.delay.ms,
// again for each member that joins meanwhile, up to the rebalance timeout
// (Kafka's InitialDelayedJoin). A JoinGroup v4+ without a member ID gets one
// with MEMBER_ID_REQUIRED (KIP-394); static members (group.instance.id,
// KIP-345) that come back with a new member ID replace the old one without a
// rebalance when their protocols did not change. Members that do not rejoin
// within the rebalance timeout, or do not send SyncGroup within it after the
// join, are removed; members that do not heartbeat within their session
// timeout too. Eager and cooperative-incremental assignors need nothing
// more from the coordinator: clients drive the extra rounds.
//
// # Concurrency
//
// One goroutine, the run loop, owns every group. Requests and timers hand
// it closures (Coordinator.call, Coordinator.after); a timer's closure
// checks a sequence number so a timer that fired after being replaced
// does nothing. No lock is held across I/O: appends to __consumer_offsets
// run on one writer goroutine per partition, in the order the loop queued
// them, and their results come back to the loop, which answers the
// request and updates the committed offsets then. So memory changes in log
// order, and a replay rebuilds it. Meanwhile a group counts the partitions
// of its commits in flight (Kafka's pendingOffsetCommits), which expiry
// and topic deletion take into account.
//
// # Storage
//
// Records are Kafka's (see records.go): OffsetCommitKey/Value for offsets,
// GroupMetadataKey/Value for a group's generation, protocol, leader and
// members with their subscriptions and assignments, written when a
// rebalance completes or the group empties; null values are tombstones. A
// group lives in partition PartitionFor(group, partitions). Open replays
// every partition; groups that had members come back Stable with them
// and their session timers start, so members that keep heartbeating carry
// on without a rebalance, as after a Kafka coordinator failover.
//
// __consumer_offsets is compacted by the log cleaner like any topic with
// cleanup.policy=compact (package compact, run by the topic registry): it
// keeps the last record of every key and drops tombstones once
// delete.retention.ms has passed, so a replay reads only live state.
// Replay takes the log as it is: a cleaned log has gaps between offsets
// (each batch gives the next offset to read) and tombstones whose group
// or offset never appears again.
//
// Offsets of an empty group expire offsets.retention.minutes after it
// became empty (after their commit for groups that never had members), and
// in a Stable consumer group those of topics no member subscribes to once
// that time has passed since their commit (KIP-496); an empty group
// without offsets is then deleted. A partition with a commit in flight
// does not expire, and a group with one is not deleted: the commit was
// acknowledged, and its record precedes any tombstone.
//
// When a topic is deleted, the server calls DeleteTopicOffsets (topics.go):
// every group's offsets of it, commits in flight included, are tombstoned
// before DeleteTopics answers, and empty groups left without offsets are
// deleted, as Kafka's onPartitionsDeleted does; a topic created again with
// the name starts without committed offsets.
//
// # Transactional offsets
//
// TxnOffsetCommit (txn.go) appends its offsets in a transactional batch
// of the producer (its ID and epoch; the partition refuses an older epoch
// with INVALID_PRODUCER_EPOCH). They are pending, per group and producer,
// until the transaction coordinator has written the transaction's marker
// into the group's partition and calls CompleteTxn: commit makes each the
// committed offset unless a plain commit was appended after it (records'
// offsets compared, as Kafka's OffsetAndMetadata.recordOffset), abort
// drops them. OffsetFetch does not show them; with RequireStable (v7+) a
// partition that has one answers UNSTABLE_OFFSET_COMMIT. A replay keeps
// the records of a transactional batch pending and applies control
// batches (commit or abort of the batch's producer) when it meets them.
// Pending offsets do not expire, keep their group, and are removed by a
// tombstone of their partition (OffsetDelete, DeleteGroups, topic
// deletion). The batches are appended as a client's would be, so the
// writer numbers their sequences after the producer's last batch in the
// partition (setTxnSequence; Kafka's coordinator appends are not
// sequence-checked). Not implemented: KIP-848 groups.
package group
