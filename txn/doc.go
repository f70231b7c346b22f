// Package txn is Strata's transaction coordinator: Kafka's
// TransactionCoordinator, TransactionStateManager and
// TransactionMarkerChannelManager on one node. It owns every transactional
// ID's state (producer ID and epoch, timeout, the partitions of the ongoing
// transaction, its state), the records of that state in the internal topic
// __transaction_state, and the completion of transactions: writing commit
// or abort markers into the data partitions through a MarkerWriter.
//
// # States
//
// A transactional ID is in one of Kafka's TransactionState states (their
// numbers are the log's, kmsg.TransactionState):
//
//	Empty ──AddPartitions──► Ongoing ──EndTxn(commit)──► PrepareCommit ──markers written──► CompleteCommit
//	  ▲                       │  ▲ AddPartitions            EndTxn(abort), timeout ──► PrepareAbort ──markers──► CompleteAbort
//	  │ InitProducerId        │  └──────────────────────────────────────────────────────────────┐
//	  └─ (epoch bump) ◄───────┴── CompleteCommit / CompleteAbort ──AddPartitions──► Ongoing ───┘
//	Ongoing ──InitProducerId / timeout──► PrepareEpochFence (pending only: epoch bumped) ──► PrepareAbort
//	Empty / CompleteCommit / CompleteAbort ──idle transactional.id.expiration.ms──► Dead (tombstone)
//
// PrepareEpochFence and Dead are never written as states: a fence is a
// pending transition that becomes a PrepareAbort record with the bumped
// epoch, and Dead is written as a tombstone (a null value), as in Kafka.
//
// Every transition is two steps, as Kafka's prepareTransitionTo and
// completeTransitionTo: the new state is computed and kept as the ID's
// pending transition, its record is appended, and only after the append
// succeeded does memory change. While a transition is pending, requests
// get CONCURRENT_TRANSACTIONS. EndTxn answers once its PrepareCommit or
// PrepareAbort record is appended; the markers are written afterwards,
// off the loop, and the CompleteCommit / CompleteAbort record follows
// them. Until then, InitProducerId, AddPartitionsToTxn and a repeated
// EndTxn get CONCURRENT_TRANSACTIONS.
//
// Epochs follow transaction version 0/1 (KIP-98, KIP-360): InitProducerId
// bumps the epoch (a new producer ID once it reaches 32766), fencing the
// previous instance; a retried InitProducerId with the producer's current
// ID and epoch (KIP-360, after an abortable error) bumps it too; one with
// the previous epoch gets the same answer again. InitProducerId during an
// Ongoing transaction bumps the epoch, aborts the transaction with it and
// answers CONCURRENT_TRANSACTIONS; the client retries and gets the next
// epoch. A transaction open longer than its timeout is aborted the same
// way (every transaction.abort.timed.out.transaction.cleanup.interval.ms).
// KIP-890 part 1 is: Produce asks VerifyPartitions before the first
// transactional batch of a partition
// (transaction.partition.verification.enable).
//
// Transaction version 2 (KIP-890 part 2, Kafka's
// clientTransactionVersion.supportsEpochBump; the server uses it for
// EndTxn v5+, and for Produce v12+ and TxnOffsetCommit v5+ once
// transaction.version 2 is finalized): the broker adds the partitions of
// the producer's Produce and TxnOffsetCommit (AddPartitionsV2), and every
// EndTxnV2 bumps the epoch: the Prepare record carries epoch+1 (and the
// old one as the last epoch), the markers carry it too, so they fence the
// old epoch in every partition, and the answer is the new epoch. An
// EndTxnV2 with the old epoch is a retry and gets the same answer (Kafka's
// endTxnEpochBumped); an abort with no transaction (Empty, or after a
// completed one) is allowed, writes no markers and bumps the epoch. When
// the epoch to bump is exhausted (32766) a new producer ID is allocated:
// it is written as NextProducerId in the Prepare record, the markers carry
// the old ID at epoch 32767, the Complete record the new ID at epoch 0
// with the old one as previous, and the answer is the new ID at 0; a retry
// with the old ID and epoch 32766 gets it again (retryOnOverflow). A fence
// (InitProducerId during a transaction, a timeout) of a version 2
// transaction does not bump before the abort, which bumps once. The
// records of a version 2 transaction are value version 1 with
// ClientTransactionVersion 2 (and NextProducerId), whatever the finalized
// level, so a reload knows the rules the ID follows.
//
// # Concurrency
//
// As in package group: one goroutine, the run loop, owns every ID's state;
// requests and timers hand it closures. Appends to __transaction_state run
// on one writer goroutine per partition in the order the loop queued them,
// and their results come back to the loop. Markers are written by one
// goroutine per completing transaction, which hands the outcome back to
// the loop; a marker that fails is retried until it is written or its
// partition is gone.
//
// # Storage and loading
//
// Records are Kafka's TransactionLog key (version 0: the transactional ID)
// and value (version 0: producer ID and epoch, timeout, state, partitions,
// last update and start timestamps; version 1, flexible with the previous
// and next producer IDs as tagged fields, once transaction.version is
// finalized at 1, as Kafka's TransactionVersion.transactionLogValueVersion
// says), as kmsg's TxnMetadataKey and TxnMetadataValue encode them; a null
// value is a tombstone. An ID lives in
// partition PartitionFor(id, partitions): abs(id.hashCode()) % partitions.
// The topic is compacted (cleanup.policy=compact), so the cleaner keeps
// the last record of each ID.
//
// Open returns at once and loads the partitions on a goroutine; until the
// load is done requests get COORDINATOR_LOAD_IN_PROGRESS. After the load,
// every transaction found in PrepareCommit or PrepareAbort has its markers
// written again and is completed (markers are idempotent); Ongoing ones
// stay Ongoing, so their producer may carry on, and are aborted by the
// timeout if it does not. So a crash at any point (after AddPartitions,
// between the PrepareCommit record and the markers, between two markers)
// ends with every transaction completed or aborted.
package txn
