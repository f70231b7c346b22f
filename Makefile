# Strata: a Kafka-compatible broker in one Go binary.
#   make run    the broker on 127.0.0.1:9092, data in ./data
#   make build  bin/strata and its bin/kafka-*.sh links (bin/kafka-server-start.sh
#               config/server.properties starts the broker as make run does)
#   make image  the container image (Containerfile) with podman or docker
#   make test   vet, lint, race tests of every package, a short fuzz pass

GO        ?= go
FUZZTIME  ?= 1m
SHORTFUZZ ?= 3s
BENCH     ?= .
BENCHTIME ?= 1s
COUNT     ?= 1

.PHONY: all build build-static image image-check run test deps vet lint race fuzz fuzz-short bench bench-e2e bench-compact soak reliability-full clean

all: build

build:
	$(GO) build -o bin/strata ./cmd/strata
	bash scripts/links.sh bin

# build-static: bin/strata without cgo, runnable on any Linux of its
# architecture (the container image's binary).
build-static:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/strata ./cmd/strata
	bash scripts/links.sh bin

# image: the container image, IMAGE=strata:latest (scripts/image.sh).
IMAGE ?= strata:latest
image:
	IMAGE=$(IMAGE) GO=$(GO) bash scripts/image.sh

# image-check: builds the image and checks its contents when podman or
# docker can build here; skips with a message otherwise.
image-check:
	IMAGE=strata-check:latest GO=$(GO) bash scripts/image.sh --if-available

run: build
	exec ./bin/strata broker --listeners PLAINTEXT://127.0.0.1:9092 --log.dirs ./data

# deps installs the Debian packages the real-client tests use (kcat,
# kafka-python, confluent-kafka); it does nothing when they are present.
deps:
	bash scripts/deps.sh

test: deps vet lint race fuzz-short image-check

vet:
	$(GO) vet ./...

lint:
	$(GO) test -count=1 ./internal/lint/

race:
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz-short:
	FUZZTIME=$(SHORTFUZZ) bash scripts/fuzz.sh

fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench:
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchmem -benchtime=$(BENCHTIME) -count=$(COUNT) ./...

# bench-e2e runs the producer/consumer/latency workloads (bench/cmd/compare)
# against Strata, kfake and the floor, each in its own process, alternately,
# and prints medians and ratios. W6 needs librdkafka-dev (installed here).
WORKLOADS ?= W1,W2,W3,W4,W5,W6,W7,W8,W9
RECORDS   ?= 2000000
ROUNDS    ?= 3
bench-e2e:
	bash scripts/deps.sh bench
	$(GO) run ./bench/cmd/compare -workload $(WORKLOADS) -records $(RECORDS) -rounds $(ROUNDS)

# bench-compact: log compaction end to end, Strata beside kfake (time to the
# compacted view, bytes on disk) and produce throughput during a cleaner pass
# (bench/cmd/compactbench; docs/BENCHMARKS.md).
bench-compact:
	$(GO) run ./bench/cmd/compactbench -records 200000 -keys 20000 -dirty-records 600000 -window 3s

# soak: the 10-minute load test of docs/RELIABILITY.md (not in CI).
soak:
	STRATA_SOAK=1 $(GO) test -count=1 -run Soak -timeout 20m -v ./reliability/

# reliability-full: the fault suite at full strength (20 kill -9 rounds, ...).
reliability-full:
	STRATA_RELIABILITY_FULL=1 $(GO) test -count=1 -timeout 20m -v ./reliability/

clean:
	rm -rf bin
