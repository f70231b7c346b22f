// Package delegationtokens is `strata delegation-tokens`, Kafka's
// kafka-delegation-tokens.sh (DelegationTokenCommand): --create,
// --renew, --expire and --describe of delegation tokens (KIP-48) over
// CreateDelegationToken, RenewDelegationToken, ExpireDelegationToken and
// DescribeDelegationToken, with Kafka's flags, required arguments and
// output (dates as yyyy-MM-dd'T'HH:mm in local time, the table's column
// widths, and, as Kafka, no newline after the renew, expire and describe
// summaries). Token requests need an authenticated channel, so
// --command-config (a SASL client configuration) is required, as in Kafka.
package delegationtokens
