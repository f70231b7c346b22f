#!/usr/bin/env bash
# Runs every `func FuzzX(f *testing.F)` target in the module for $FUZZTIME
# each (default 3s), one at a time, over its committed corpus and new inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
count=0
while IFS=: read -r file name; do
	dir=$(dirname "$file")
	echo "fuzz: $name in ./$dir for $fuzztime"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "./$dir"
	count=$((count + 1))
done < <(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed -E 's#^\./##; s#func ##' | sort)
echo "fuzz: $count targets ran for $fuzztime each"
