// Package clientmetrics holds kafka-client-metrics.sh as `strata
// client-metrics`: it lists, describes, alters and deletes the client
// metrics subscriptions of KIP-714 (CLIENT_METRICS config resources), as
// Kafka 4.1's ClientMetricsCommand (tools/ClientMetricsCommand.java) does,
// with its flags and its output lines:
//
//	--list                      ListConfigResources of CLIENT_METRICS: one name a line
//	--describe [--name N]       DescribeConfigs of N (else of every listed name):
//	                            "Client metrics configs for N are:" then "  k=v" lines
//	--alter --name N | --generate-name [--metrics a,b] [--interval ms] [--match k=v,k2=v2]
//	                            IncrementalAlterConfigs: SET each given config,
//	                            DELETE one given empty; "Altered client metrics config for N."
//	--delete --name N           DELETE every config the broker describes for N (Kafka's
//	                            way to delete a subscription); "Deleted client metrics config for N."
//
// A broker's refusal prints Kafka's line on stdout, "Error while executing
// client metrics command : <message>", and exits 1. A bad command line is
// one line on stderr and exit 2, as every Strata tool answers it (Kafka
// prints its usage and exits 1).
//
// It speaks only the Kafka protocol (kgo, kmsg).
package clientmetrics
