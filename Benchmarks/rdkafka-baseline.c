/*
 * The raw librdkafka baseline of `switchyard bench --backend kafka`.
 *
 * Produces COUNT messages of SIZE bytes to TOPIC with the settings Switchyard's producer uses (acks=all,
 * idempotence, the murmur2_random partitioner, 16 keys) and waits for every delivery report; then
 * consumes COUNT messages from the earliest offset in a new consumer group. With HEADERS=1 each message
 * also carries the two headers Switchyard adds (message-id, published-at), to tell their cost apart.
 *
 * Prints one JSON object: produce and consume in messages per second, and how many sends failed.
 * Before the produce clock starts, one warm-up message per key is sent and the delivery reports awaited,
 * so the connections to the partitions' leaders, the producer id and the topic's metadata are in place,
 * as the bench does for Switchyard. Produce is then timed from the first of the COUNT sends to the last
 * delivery report; consume from the first message received to the last (COUNT messages, the warm-up
 * ones among them), so the group's join time is left out, as the bench does for Switchyard.
 *
 * It consumes with rd_kafka_consumer_poll in a loop, or with RDKAFKA_BASELINE_CONSUME=batch in the
 * environment, with rd_kafka_consume_batch_queue on the consumer queue, up to BATCH messages a call.
 *
 * Build: cc -O2 -o rdkafka-baseline rdkafka-baseline.c $(pkg-config --cflags --libs rdkafka)
 * Usage: rdkafka-baseline BOOTSTRAP_SERVERS TOPIC COUNT SIZE [HEADERS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define KEYS 16
#define PAYLOADS 64
#define BATCH 1000
#define PHASE_TIMEOUT_SECONDS 120.0

static long delivered = 0;
static long failed = 0;

static double now_seconds(void) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int64_t wall_microseconds(void) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "rdkafka-baseline: %s: %s\n", what, detail);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
        char error[512];
        if (rd_kafka_conf_set(conf, name, value, error, sizeof(error)) != RD_KAFKA_CONF_OK)
                fail(name, error);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
        (void)rk;
        (void)opaque;
        if (message->err)
                failed++;
        else
                delivered++;
}

static double produce(const char *servers, const char *topic, long count, size_t size, int headers) {
        char error[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", servers);
        set(conf, "acks", "all");
        set(conf, "enable.idempotence", "true");
        set(conf, "partitioner", "murmur2_random");
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
        if (!producer)
                fail("creating the producer", error);

        char keys[KEYS][16];
        for (int i = 0; i < KEYS; i++)
                snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
        char *payloads = malloc(PAYLOADS * (size ? size : 1));
        for (size_t i = 0; i < PAYLOADS * size; i++)
                payloads[i] = (char)(0x20 + rand() % 95);

        for (int i = 0; i < KEYS; i++) {
                rd_kafka_resp_err_t warm_up = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                                RD_KAFKA_V_KEY(keys[i], strlen(keys[i])), RD_KAFKA_V_VALUE("warm-up", 7),
                                                                RD_KAFKA_V_END);
                if (warm_up)
                        fail("producing a warm-up message", rd_kafka_err2str(warm_up));
        }
        double warm_up_started = now_seconds();
        while (delivered + failed < KEYS) {
                rd_kafka_poll(producer, 10);
                if (now_seconds() - warm_up_started > PHASE_TIMEOUT_SECONDS)
                        fail("producing", "the warm-up messages' delivery reports did not arrive in time");
        }
        if (failed)
                fail("producing", "a warm-up message was not delivered");
        delivered = 0;

        double started = now_seconds();
        for (long i = 0; i < count; i++) {
                rd_kafka_headers_t *record_headers = NULL;
                if (headers) {
                        char id[48], published[24];
                        snprintf(id, sizeof(id), "00000000-0000-7000-8000-%012ld", i % 1000000000000L);
                        int published_length = snprintf(published, sizeof(published), "%" PRId64, wall_microseconds());
                        record_headers = rd_kafka_headers_new(2);
                        rd_kafka_header_add(record_headers, "message-id", -1, id, 36);
                        rd_kafka_header_add(record_headers, "published-at", -1, published, published_length);
                }
                const char *key = keys[i % KEYS];
                rd_kafka_resp_err_t err;
                do {
                        if (record_headers)
                                err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                                        RD_KAFKA_V_VALUE(payloads + (i % PAYLOADS) * size, size),
                                                        RD_KAFKA_V_HEADERS(record_headers), RD_KAFKA_V_END);
                        else
                                err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                        RD_KAFKA_V_KEY(key, strlen(key)),
                                                        RD_KAFKA_V_VALUE(payloads + (i % PAYLOADS) * size, size), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(producer, 1);
                        else if (err)
                                fail("producing", rd_kafka_err2str(err));
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                rd_kafka_poll(producer, 0);
        }
        while (delivered + failed < count) {
                rd_kafka_poll(producer, 10);
                if (now_seconds() - started > PHASE_TIMEOUT_SECONDS)
                        fail("producing", "delivery reports did not all arrive in time");
        }
        double elapsed = now_seconds() - started;
        rd_kafka_destroy(producer);
        free(payloads);
        return (double)count / elapsed;
}

static double consume(const char *servers, const char *topic, long count) {
        char error[512], group[128];
        snprintf(group, sizeof(group), "rdkafka-baseline-%ld-%ld", (long)getpid(), (long)wall_microseconds());
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", servers);
        set(conf, "group.id", group);
        set(conf, "auto.offset.reset", "earliest");
        rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
        if (!consumer)
                fail("creating the consumer", error);
        rd_kafka_poll_set_consumer(consumer);
        rd_kafka_topic_partition_list_t *subscription = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(subscription, topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, subscription);
        rd_kafka_topic_partition_list_destroy(subscription);
        if (err)
                fail("subscribing", rd_kafka_err2str(err));

        double subscribed = now_seconds();
        double first = 0;
        long received = 0;
        const char *style = getenv("RDKAFKA_BASELINE_CONSUME");
        if (style && strcmp(style, "batch") == 0) {
                rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(consumer);
                rd_kafka_message_t *batch[BATCH];
                while (received < count) {
                        ssize_t taken = rd_kafka_consume_batch_queue(queue, 100, batch, BATCH);
                        if (taken <= 0 && now_seconds() - subscribed > PHASE_TIMEOUT_SECONDS)
                                fail("consuming", "the messages did not all arrive in time");
                        for (ssize_t index = 0; index < taken; index++) {
                                if (!batch[index]->err) {
                                        if (received == 0)
                                                first = now_seconds();
                                        received++;
                                }
                                rd_kafka_message_destroy(batch[index]);
                        }
                }
                rd_kafka_queue_destroy(queue);
        }
        while (received < count) {
                rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 100);
                if (!message) {
                        if (now_seconds() - subscribed > PHASE_TIMEOUT_SECONDS)
                                fail("consuming", "the messages did not all arrive in time");
                        continue;
                }
                if (!message->err) {
                        if (received == 0)
                                first = now_seconds();
                        received++;
                }
                rd_kafka_message_destroy(message);
        }
        double elapsed = now_seconds() - first;
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        return (double)count / elapsed;
}

int main(int argc, char **argv) {
        if (argc < 5 || argc > 6) {
                fprintf(stderr, "usage: %s BOOTSTRAP_SERVERS TOPIC COUNT SIZE [HEADERS]\n", argv[0]);
                return 2;
        }
        long count = atol(argv[3]);
        long size = atol(argv[4]);
        int headers = argc == 6 && atoi(argv[5]) != 0;
        if (count < 1 || size < 0)
                fail("arguments", "COUNT must be at least 1 and SIZE 0 or more");
        double produced = produce(argv[1], argv[2], count, (size_t)size, headers);
        double consumed = consume(argv[1], argv[2], count);
        printf("{\"produce\":%.1f,\"consume\":%.1f,\"failed\":%ld}\n", produced, consumed, failed);
        return failed ? 1 : 0;
}
