#!/usr/bin/env bash
# Installs the Debian packages that Strata's real-client tests need. It runs
# apt-get only when something is missing and we are root; otherwise it says
# what to install and leaves it (those tests then skip with a message).
set -euo pipefail
cd "$(dirname "$0")/.."
# podman: make image-check builds the container image (Containerfile);
# chromium: the web console's browser tests (console/browser_test.go).
packages=(kcat chromium python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard podman)
if [ "${1:-}" = bench ]; then
	packages=(librdkafka-dev) # bench/rdkafka/perf.c, workload W6
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kafkajs for the group test (server/testdata/kafkajs), from npm's lock file.
if [ "${1:-}" != bench ] && [ ! -d server/testdata/kafkajs/node_modules/kafkajs ]; then
	if command -v npm >/dev/null; then
		echo "deps: npm ci in server/testdata/kafkajs"
		npm ci --prefix server/testdata/kafkajs --no-audit --no-fund --loglevel=error
	else
		echo "deps: npm not found; the kafkajs test will skip" >&2
	fi
fi
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	echo "deps: missing Debian packages: ${missing[*]} (install them as root with apt-get)" >&2
	exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
