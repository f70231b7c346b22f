#!/usr/bin/env bash
# image.sh: builds the container image (Containerfile) with podman, else
# docker, whichever works here, tagged $IMAGE (strata:latest).
#
# The image is FROM scratch: the static binary (CGO_ENABLED=0) and its
# kafka-*.sh links in /opt/kafka/bin, config/server.properties in
# /opt/kafka/config listening on every interface with data in
# /var/lib/kafka/data (a volume), as the apache/kafka image lays them out.
# Nothing is downloaded: no base image, no build stage.
#
# image.sh --if-available (make image-check, part of make test) skips with
# a message when neither engine works, and checks what the built image holds.
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = --if-available ] && check=true
tag=${IMAGE:-strata:latest}

engine=()
if command -v podman >/dev/null; then
	if podman info >/dev/null 2>&1; then
		engine=(podman)
	elif podman --storage-driver vfs info >/dev/null 2>&1; then
		engine=(podman --storage-driver vfs) # overlay unusable (e.g. inside a container)
	fi
fi
if [ ${#engine[@]} -eq 0 ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
	engine=(docker)
fi
if [ ${#engine[@]} -eq 0 ]; then
	if $check; then
		echo "image: skipped: neither podman nor docker can build here (Debian: apt-get install podman)"
		exit 0
	fi
	echo "image: neither podman nor docker can build here (Debian: apt-get install podman)" >&2
	exit 1
fi

stage=bin/image
rm -rf "$stage"
mkdir -p "$stage/opt/kafka/bin" "$stage/opt/kafka/config" "$stage/var/lib/kafka/data"
CGO_ENABLED=0 ${GO:-go} build -trimpath -o "$stage/opt/kafka/bin/strata" ./cmd/strata
bash scripts/links.sh "$stage/opt/kafka/bin"
# The container's server.properties: every interface, data in the volume.
sed -e 's|^listeners=.*|listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093|' \
	-e 's|^log.dirs=.*|log.dirs=/var/lib/kafka/data|' \
	config/server.properties >"$stage/opt/kafka/config/server.properties"
for want in 'listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093' 'log.dirs=/var/lib/kafka/data'; do
	grep -qx "$want" "$stage/opt/kafka/config/server.properties" ||
		{ echo "image: config/server.properties has no line to turn into $want" >&2; exit 1; }
done
# The binary must run without the build machine's libraries.
if command -v file >/dev/null && ! file "$stage/opt/kafka/bin/strata" | grep -q 'statically linked'; then
	echo "image: $stage/opt/kafka/bin/strata is not statically linked" >&2
	exit 1
fi

"${engine[@]}" build -f Containerfile -t "$tag" "$stage"
echo "image: built $tag with ${engine[*]}"
if $check; then
	# What the image holds: the links, the config, the binary.
	ctr=$("${engine[@]}" create "$tag")
	trap '"${engine[@]}" rm "$ctr" >/dev/null' EXIT
	"${engine[@]}" export "$ctr" | tar -tvf - >"$stage/contents.txt"
	for want in 'opt/kafka/bin/kafka-server-start.sh -> strata' 'opt/kafka/bin/kafka-topics.sh -> strata' \
		'opt/kafka/config/server.properties' 'opt/kafka/bin/strata'; do
		grep -q -- "$want" "$stage/contents.txt" || { echo "image: $want missing from the image" >&2; exit 1; }
	done
	grep -qE '^d[rwx-]+ 1000/1000 .* var/lib/kafka/data/$' "$stage/contents.txt" ||
		{ echo "image: var/lib/kafka/data is not owned by the image's user (1000)" >&2; exit 1; }
	echo "image: contents checked ($(grep -c -- '-> strata' "$stage/contents.txt") kafka-*.sh links)"
fi
