// The librdkafka C API for Swift, with the mock cluster, plus small non-variadic helpers for the
// parts Swift cannot call directly (variadic functions and macros that are casts).
#ifndef SWITCHYARD_CRDKAFKA_H
#define SWITCHYARD_CRDKAFKA_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// RD_KAFKA_PARTITION_UA: let the partitioner choose.
static const int32_t switchyard_partition_unassigned = RD_KAFKA_PARTITION_UA;
/// RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END and RD_KAFKA_OFFSET_INVALID.
static const int64_t switchyard_offset_beginning = RD_KAFKA_OFFSET_BEGINNING;
static const int64_t switchyard_offset_end = RD_KAFKA_OFFSET_END;
static const int64_t switchyard_offset_invalid = RD_KAFKA_OFFSET_INVALID;

/// Produces one record to the topic handle `topic` through rd_kafka_produceva, copying key and value.
///
/// On success librdkafka owns `headers` (which may be NULL); on failure the caller still owns them
/// and must destroy them. Returns NULL on success, else an error the caller must destroy.
static inline rd_kafka_error_t *switchyard_produce(rd_kafka_t *rk,
                                                   rd_kafka_topic_t *topic,
                                                   const void *key, size_t key_size,
                                                   const void *value, size_t value_size,
                                                   rd_kafka_headers_t *headers,
                                                   int64_t timestamp_ms,
                                                   void *opaque) {
        rd_kafka_vu_t vus[7];
        size_t count = 0;
        vus[count].vtype = RD_KAFKA_VTYPE_RKT;
        vus[count++].u.rkt = topic;
        vus[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[count++].u.i = RD_KAFKA_MSG_F_COPY;
        vus[count].vtype = RD_KAFKA_VTYPE_VALUE;
        vus[count].u.mem.ptr = (void *)value;
        vus[count++].u.mem.size = value_size;
        if (key != NULL) {
                vus[count].vtype = RD_KAFKA_VTYPE_KEY;
                vus[count].u.mem.ptr = (void *)key;
                vus[count++].u.mem.size = key_size;
        }
        if (headers != NULL) {
                vus[count].vtype = RD_KAFKA_VTYPE_HEADERS;
                vus[count++].u.headers = headers;
        }
        vus[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
        vus[count++].u.i64 = timestamp_ms;
        vus[count].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vus[count++].u.ptr = opaque;
        return rd_kafka_produceva(rk, vus, count);
}

#endif
