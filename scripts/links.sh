#!/usr/bin/env bash
# links.sh DIR: beside DIR/strata, one symbolic link per tool under Kafka's
# script name (kafka-topics.sh -> strata, ...), plus kafka-server-start.sh
# for the broker; the binary runs the tool its name says (busybox style).
# The names come from `strata --list-commands` when the binary has it, else
# from the Commands section of `strata --help`. Links of tools that are gone
# are removed first.
set -euo pipefail
dir=${1:?usage: links.sh DIR}
bin="$dir/strata"
[ -x "$bin" ] || { echo "links: $bin is not an executable" >&2; exit 1; }
if ! names=$("$bin" --list-commands 2>/dev/null); then
	names=$("$bin" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
fi
[ -n "$names" ] || { echo "links: no commands found in $bin --help" >&2; exit 1; }
find "$dir" -maxdepth 1 -type l -name 'kafka-*.sh' -delete
n=0
for name in $names; do
	case $name in
	broker) link=kafka-server-start.sh ;;
	*) link=kafka-$name.sh ;;
	esac
	ln -s strata "$dir/$link"
	n=$((n + 1))
done
echo "links: $n kafka-*.sh links to $bin"
