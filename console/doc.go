// Package console is Strata's web console: topics, messages, consumer
// groups and the cluster's state in a browser, with the write actions an
// operator needs (create, alter and delete topics, purge a partition,
// produce a record, reset and delete a group's offsets).
//
// # A Kafka client
//
// The console owns one kgo client and talks to the cluster only through
// the Kafka protocol (kgo, kadm, kmsg), so the same code serves the
// console the broker embeds (cmd/strata dials the broker's own listener
// over loopback) and `strata console` (tools/consolecmd) against any
// Kafka-compatible cluster. It imports no broker package (internal/lint).
// Where the protocol does not carry something, the page says so rather
// than reading the broker's state: segment counts (DescribeLogDirs gives a
// partition's size only) and fetch rates (no API reports them: the
// overview's "consumed" rate is the growth of the groups' committed
// offsets). The one exception is Options.Broker (BrokerState, cleaner.go),
// an interface the embedded console is given by cmd/strata, which reads
// the broker's own state: a compacted topic's page shows each partition's
// log cleaner state (dirty ratio, first dirty offset, last pass, bytes
// saved, cleaning or uncleanable) from it; without one (`strata console`)
// the page says that only the embedded console shows it.
//
// # Pages
//
// Every page is a server-rendered html/template (templates/, embedded)
// reachable by its URL, usable without JavaScript: filters, sorting,
// message ranges and formats are query parameters, and writes are plain
// HTML forms. htmx (static/htmx.min.js, vendored from the npm package
// htmx.org, Zero-Clause BSD) adds only what needs JavaScript: the live
// tail (a poll every second of one bounded Fetch per partition) and the
// refresh of the overview's rate chart (an inline SVG drawn on the
// server). No Node build step; static/style.css is ours.
//
//	/                                    overview (cluster, brokers, log dirs, rates)
//	/topics?q=&internal=1&sort=&desc=1   topics
//	/topics/{t}                          partitions, consumer groups with lag, configs
//	/topics/{t}/messages?partition=&mode=newest|offset|timestamp&offset=&ts=&n=&format=&q=&in=
//	/topics/{t}/tail?pos=p:o,...         the live tail's poll (an HTML fragment)
//	/topics/{t}/produce                  produce a record
//	/topics/{t}/delete, /topics/{t}/partitions/{p}/purge, /new-topic
//	/groups, /groups/{g}, /groups/{g}/reset, /groups/{g}/delete
//	/transactions                        transactions and the partitions they hold
//
// The transactions page (transactions.go) lists every transaction the
// coordinators know (ListTransactions to every broker, DescribeTransactions:
// state, producer ID and epoch, partitions, age, timeout) and the
// partitions whose last stable offset is below the high watermark
// (ListOffsets read_committed and read_uncommitted), with the producer whose
// open transaction starts at the LSO (DescribeProducers, at most 1000
// partitions). It flags as hanging a transaction open longer than its
// timeout, a partition whose transaction has held its LSO longer than that
// timeout, and one held for 15 minutes (transaction.max.timeout.ms's
// default) by a producer no coordinator lists it for, which is what
// `strata transactions find-hanging` reports.
//
// The ACLs page (acls.go) lists the bindings DescribeAcls returns,
// filtered by principal, resource type and resource name (a MATCH filter:
// the literal name, the wildcard and every prefix binding), adds one
// (CreateAcls) and deletes one (DeleteAcls of exactly that binding). A
// broker without an authorizer answers SECURITY_DISABLED; the page shows
// its message.
//
// # Navigation
//
// The left navigation is one table (nav.go: sections). Sections later
// issues bring (brokers and replicas, share groups) are
// listed now, greyed and marked "coming", so the layout and
// the URLs they will take do not move when they land. Each row names the
// API key its page needs; a built section whose key the cluster does not
// advertise (ApiVersions, cached for a minute) is hidden, so a share-group
// page will not show against a cluster without share groups.
//
// # Writes and safety
//
// Writes are POSTs, answered with a 303 to the page that shows their
// effect. Each carries a CSRF token: an HMAC, under a key drawn at start,
// of a random per-browser cookie (SameSite=Strict, HttpOnly), a signed
// double-submit cookie; net/http's CrossOriginProtection refuses
// cross-origin browser requests first. Deleting a topic needs its name
// typed; purging, deleting a group and resetting offsets go through a
// confirmation page; a reset is refused unless the group is Empty (as
// Kafka's consumer-groups tool refuses), checked again at the commit. With
// Options.ReadOnly (console.read.only) no write action is shown and every
// write route answers 403 before touching the cluster. Every response
// carries a Content-Security-Policy without inline script or style,
// frame-ancestors 'none', X-Content-Type-Options: nosniff and
// Referrer-Policy: same-origin.
//
// # Bounds
//
// The console must never take the broker down nor hold up produce and
// fetch. Each page's requests share one deadline (Options.RequestTimeout,
// 15 s); the expensive pages (topics, a topic, messages, search, tail) run
// at most Options.MaxExpensive (4) at once, a fifth waits up to 5 s and
// then gets 503. Messages are read with plain Fetch requests to each
// partition's leader (no group, no session, MaxWaitMillis 0), each bounded
// by Limits.FetchBytes (1 MiB), a page by Limits.PageBytes (8 MiB) and
// Limits.MaxRecords (500); a search stops at Limits.ScanRecords (100,000),
// ScanBytes (64 MiB) or ScanDuration (5 s) and says how many records and
// bytes it scanned and where to continue. Values are shown truncated
// (4 KiB of text, 512 bytes of hex) with their size.
//
// # Lifetimes and locking
//
// A Server is safe for concurrent use; its state is the client, the
// parsed templates (read-only), the CSRF key, the nav's API-key cache
// (navMu) and the rate sampler. The sampler (rates.go) is a goroutine
// started by the first page and stopped after ten minutes without one or
// by Close; it sums end offsets and committed offsets every
// Options.SampleInterval (5 s) and keeps five minutes of samples under its
// mutex. Close stops it and closes the client.
package console
