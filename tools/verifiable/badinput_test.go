package verifiable

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
)

// Bad command lines and an unreachable broker: one line on stderr,
// nothing on stdout, exit 2 (usage) or 1 (failed), never a stack trace.
func TestVerifiableBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.properties")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verifiable-producer", "--max-messages", "1"}, cli.ExitUsage, "strata verifiable-producer: --topic is required (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--bogus"}, cli.ExitUsage, "strata verifiable-producer: unknown flag --bogus (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--acks", "2"}, cli.ExitUsage, "strata verifiable-producer: argument --acks: invalid choice: '2' (choose from 0, 1, -1) (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--max-messages", "x"}, cli.ExitUsage, "strata verifiable-producer: argument --max-messages: could not convert 'x' to Integer (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--value-prefix", "99999999999"}, cli.ExitUsage, "strata verifiable-producer: argument --value-prefix: could not convert '99999999999' to Integer (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--producer.config", missing}, cli.ExitUsage, "strata verifiable-producer: --producer.config: open " + missing + ": no such file or directory (run strata verifiable-producer --help)"},
		{[]string{"verifiable-producer", "--topic", "t", "--bootstrap-server", "127.0.0.1:1"}, cli.ExitError, "strata verifiable-producer: cannot reach a broker at 127.0.0.1:1"},
		{[]string{"verifiable-consumer", "--group-id", "g"}, cli.ExitUsage, "strata verifiable-consumer: --topic is required (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t"}, cli.ExitUsage, "strata verifiable-consumer: --group-id is required (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--bogus"}, cli.ExitUsage, "strata verifiable-consumer: unknown flag --bogus (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--reset-policy", "first"}, cli.ExitUsage, `strata verifiable-consumer: invalid value "first" for consumer property auto.offset.reset: want earliest, latest or none (run strata verifiable-consumer --help)`},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--assignment-strategy", "range"}, cli.ExitUsage, "strata verifiable-consumer: Invalid value range for configuration partition.assignment.strategy: Class range could not be found. (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--group-protocol", "modern"}, cli.ExitUsage, "strata verifiable-consumer: Invalid value modern for configuration group.protocol: String must be one of (case insensitive): CLASSIC, CONSUMER (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--group-protocol", "consumer"}, cli.ExitError, "strata verifiable-consumer: group.protocol=consumer (KIP-848) is not supported yet: use --group-protocol classic"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--consumer.config", missing}, cli.ExitUsage, "strata verifiable-consumer: --consumer.config: open " + missing + ": no such file or directory (run strata verifiable-consumer --help)"},
		{[]string{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--bootstrap-server", "127.0.0.1:1"}, cli.ExitError, "strata verifiable-consumer: cannot reach a broker at 127.0.0.1:1"},
	} {
		r := run(t, nil, c.args...)
		if r.Code != c.code || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, c.want) {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want code %d, stderr %q", c.args, r.Code, r.Stdout, r.Stderr, c.code, c.want)
		}
	}
}

// Java's Double.toString, as Jackson writes avg_throughput.
func TestJavaDouble(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{32.15434083601286, "32.15434083601286"},
		{1000, "1000.0"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1e7, "1.0E7"},
		{12345678.9, "1.23456789E7"},
		{9999999, "9999999.0"},
		{0.5, "0.5"},
		{0.00123, "0.00123"},
		{0, "0.0"},
		{-2.5, "-2.5"},
		{math.Inf(1), "Infinity"},
		{math.NaN(), "NaN"},
	} {
		if got := javaDouble(c.v); got != c.want {
			t.Errorf("javaDouble(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// Strings are escaped as Jackson escapes them: no HTML escapes, control
// characters as \uXXXX in upper case, invalid UTF-8 as U+FFFD.
func TestAppendString(t *testing.T) {
	got := string(appendString(nil, "a\"b\\c\n<&>\x01\x1f\xff é"))
	if want := `"a\"b\\c\n<&>\u0001\u001F` + "\uFFFD é\""; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
