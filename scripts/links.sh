#!/usr/bin/env bash
# links.sh DIR: beside DIR/strata, one symbolic link per command under
# Kafka's script name (kafka-topics.sh -> strata, kafka-server-start.sh for
# the broker, ...); the binary runs the command its name says (busybox
# style). The names come from `strata --kafka-scripts`. Links of commands
# that are gone are removed first.
set -euo pipefail
dir=${1:?usage: links.sh DIR}
bin="$dir/strata"
[ -x "$bin" ] || { echo "links: $bin is not an executable" >&2; exit 1; }
names=$("$bin" --kafka-scripts)
[ -n "$names" ] || { echo "links: $bin --kafka-scripts lists nothing" >&2; exit 1; }
find "$dir" -maxdepth 1 -type l -name 'kafka-*.sh' -delete
n=0
for name in $names; do
	case $name in
	kafka-*.sh) ln -s strata "$dir/$name" ;;
	*) echo "links: $bin --kafka-scripts printed $name, not a kafka-*.sh name" >&2; exit 1 ;;
	esac
	n=$((n + 1))
done
echo "links: $n kafka-*.sh links to $bin"
