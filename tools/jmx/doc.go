// Package jmx is the metrics family: `strata metrics`, also answering to
// `strata jmx` (kafka-jmx.sh), which prints chosen series of a Prometheus
// endpoint (a Strata broker's /metrics, or any exporter's) as lines over
// time, as Kafka's JmxTool (kafka-jmx.sh) prints MBean attributes.
//
// Kafka's tool reads JMX; Strata serves Prometheus' text format over HTTP
// instead, so the tool takes a URL (--url, also --jmx-url) and regular
// expressions over series (--name, also --object-name, repeatable; a
// series is written name{label="value",...} with labels sorted, and is
// chosen when any expression matches part of it; none: every series).
// The rest is JmxTool's: --reporting-interval MS (2000; a negative value
// is --one-time), --one-time, --date-format (java.text.SimpleDateFormat
// letters) for the time column (default: milliseconds since the epoch),
// --report-format original|properties|csv|tsv, --wait (up to 10 s for every
// --name to match a series before the first line).
//
// Output, as JmxTool's: the columns are "time" and the chosen series,
// sorted, found at the first scrape. "original" prints a CSV header of the
// quoted column names (a series' own double quotes doubled, as CSV quotes
// them) and then a line of values per interval; "properties" prints
// key=value lines, "csv" key,"value" and "tsv" key<TAB>value, a block per
// interval. As JmxTool skips a line when an attribute is missing, a scrape
// that lacks one of the columns prints nothing. Histograms and summaries
// are the series the text format writes for them (_bucket{le=...}, _sum,
// _count; {quantile=...}).
//
// The endpoint is scraped with Accept: text/plain;version=0.0.4 and parsed
// with github.com/prometheus/common/expfmt. The tool runs until a signal
// (exit 0) unless --one-time; a scrape that fails ends it with exit 1.
package jmx
