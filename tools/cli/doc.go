// Package cli is what every Strata tool does the same way, so that each
// family package below tools/ holds only its own commands:
//
//   - Env: a tool's streams, signals, clock and timeouts (tests build their
//     own); Command: a tool's name, summary and entry point; Dispatcher.
//   - Flags: Kafka's flag syntax (--name value, --name=value, repeatable and
//     multi-value flags), --help text, one-line usage errors and exit codes
//     (ExitOK, ExitError for a failed command, ExitUsage for a bad command
//     line), never a stack trace.
//   - --bootstrap-server and client properties with Kafka's names
//     (--command-config, --producer.config, --consumer.config and their
//     key=value forms), mapped to kgo options (AdminOpts, ProducerOpts,
//     ConsumerOpts); Connect fails fast when no broker answers.
//   - Kafka's texts for errors (ErrText), dates and ISO-8601 durations,
//     and progress bars on a terminal (NewProgress).
//
// The tools speak only the Kafka protocol through franz-go's kgo and kadm,
// so cli imports none of the broker's packages (the lint test enforces it).
package cli
