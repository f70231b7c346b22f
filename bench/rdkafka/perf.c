/*
 * perf: a librdkafka producer for Strata's W6 workload, shaped like
 * kafka-producer-perf-test: N records of S bytes of random uppercase
 * letters (one payload, generated once), linger.ms=5, batch.size=1 MiB,
 * 5 requests in flight, unthrottled. It prints one line:
 *   records <n> failed <n> seconds <s> p50_ms <x> p99_ms <x> max_ms <x>
 *
 *   perf <bootstrap> <topic> <records> <record-size> <acks> [compression]
 *
 * Build: cc -O2 -o perf perf.c -lrdkafka   (Debian: librdkafka-dev)
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long failed;
static long delivered;
static double *lat;

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
	(void)rk;
	(void)opaque;
	if (m->err)
		failed++;
	long i = (long)(intptr_t)m->_private;
	lat[i] = now() - lat[i];
	delivered++;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
	char err[512];
	if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "perf: %s=%s: %s\n", k, v, err);
		exit(2);
	}
}

int main(int argc, char **argv) {
	if (argc < 6) {
		fprintf(stderr, "usage: perf <bootstrap> <topic> <records> <record-size> <acks> [compression]\n");
		return 2;
	}
	long n = atol(argv[3]);
	int size = atoi(argv[4]);
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	set(conf, "bootstrap.servers", argv[1]);
	set(conf, "acks", argv[5]);
	set(conf, "linger.ms", "5");
	set(conf, "batch.size", "1048576");
	set(conf, "max.in.flight.requests.per.connection", "5");
	set(conf, "queue.buffering.max.messages", "2000000");
	set(conf, "queue.buffering.max.kbytes", "2097151");
	set(conf, "compression.codec", argc > 6 ? argv[6] : "none");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "perf: %s\n", err);
		return 1;
	}
	lat = calloc(n, sizeof *lat);
	char *payload = malloc(size);
	srand(time(NULL));
	for (int i = 0; i < size; i++)
		payload[i] = 'A' + rand() % 26;

	/* Warm up: metadata and connection. */
	rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_VALUE(payload, size),
	                  RD_KAFKA_V_OPAQUE((void *)0), RD_KAFKA_V_END);
	rd_kafka_flush(rk, 30000);
	delivered = 0;
	failed = 0;

	double start = now();
	for (long i = 0; i < n; i++) {
		lat[i] = now();
		for (;;) {
			rd_kafka_resp_err_t e = rd_kafka_producev(
			    rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_VALUE(payload, size),
			    RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
			if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
				break;
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				fprintf(stderr, "perf: produce: %s\n", rd_kafka_err2str(e));
				return 1;
			}
			rd_kafka_poll(rk, 1);
		}
		rd_kafka_poll(rk, 0);
	}
	while (delivered < n)
		rd_kafka_poll(rk, 10);
	double secs = now() - start;
	qsort(lat, n, sizeof *lat, cmp);
	printf("records %ld failed %ld seconds %.6f p50_ms %.3f p99_ms %.3f max_ms %.3f\n", n, failed, secs,
	       lat[n / 2] * 1e3, lat[(long)(n * 0.99)] * 1e3, lat[n - 1] * 1e3);
	rd_kafka_destroy(rk);
	return failed ? 1 : 0;
}
