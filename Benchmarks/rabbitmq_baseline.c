/*
 * Raw rabbitmq-c baseline for `switchyard bench --backend rabbitmq` (see Benchmarks/rabbitmq.sh).
 *
 * One connection, one channel, one thread. It declares a durable topic exchange and a durable queue
 * `<exchange>.bench` of the given type bound with `#`, the same objects Switchyard declares, then:
 *
 *   publish: N persistent messages of SIZE bytes, mandatory, in confirm mode, with at most WINDOW
 *            unconfirmed at once (a sliding window: every confirm, single or multiple, frees room);
 *            each carries the properties Switchyard sends (content type, message id, timestamp,
 *            delivery mode 2, and the `message-id` and `published-at` headers), so the broker does
 *            the same work. The clock runs from the first publish to the last confirm.
 *   consume: basic.qos PREFETCH, basic.consume with manual acks, then N deliveries. Whenever the
 *            input read so far is used up, one basic.ack with `multiple` acks every delivery handled
 *            since the last ack, as Switchyard does (it writes the acks of the deliveries its
 *            application acked in one pass of its connection thread as one `multiple` ack). The
 *            clock runs from basic.consume-ok to the ack of the N-th delivery.
 *
 * Prints one line: `publish=<msg/s> consume=<msg/s>`.
 *
 * Usage: rabbitmq_baseline HOST PORT VHOST EXCHANGE QUEUE_TYPE MESSAGES SIZE WINDOW PREFETCH
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what, const char *detail) {
  fprintf(stderr, "rabbitmq_baseline: %s: %s\n", what, detail);
  exit(1);
}

static void check_reply(amqp_connection_state_t conn, const char *what) {
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) die(what, amqp_error_string2(reply.library_error));
  die(what, "the broker refused it");
}

static void check_status(int status, const char *what) {
  if (status < 0) die(what, amqp_error_string2(status));
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t wall_microseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Which publishes have their confirm; tags are 1-based. `lowest` is the lowest tag not yet confirmed. */
static unsigned char *confirmed_tags;
static uint64_t lowest = 1;

/* Marks `tag` (and with `multiple`, every tag below it) confirmed; returns how many were new. */
static uint64_t confirm(uint64_t tag, int multiple) {
  uint64_t settled = 0;
  for (uint64_t t = multiple ? lowest : tag; t <= tag; t++) {
    if (!confirmed_tags[t]) {
      confirmed_tags[t] = 1;
      settled++;
    }
  }
  while (confirmed_tags[lowest]) lowest++;
  return settled;
}

/* Reads one frame and returns how many publishes it confirmed. */
static uint64_t read_confirms(amqp_connection_state_t conn) {
  amqp_frame_t frame;
  check_status(amqp_simple_wait_frame(conn, &frame), "reading confirms");
  if (frame.frame_type != AMQP_FRAME_METHOD) return 0;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      amqp_basic_ack_t *ack = frame.payload.method.decoded;
      return confirm(ack->delivery_tag, ack->multiple);
    }
    case AMQP_BASIC_NACK_METHOD:
      die("publishing", "the broker nacked a message");
      break;
    case AMQP_BASIC_RETURN_METHOD:
      die("publishing", "the broker returned a message as unroutable");
      break;
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD:
      die("publishing", "the broker closed the channel");
      break;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: %s HOST PORT VHOST EXCHANGE QUEUE_TYPE MESSAGES SIZE WINDOW PREFETCH\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  const char *vhost = argv[3];
  const char *exchange = argv[4];
  const char *queue_type = argv[5];
  uint64_t messages = strtoull(argv[6], NULL, 10);
  size_t size = strtoul(argv[7], NULL, 10);
  uint64_t window = strtoull(argv[8], NULL, 10);
  uint16_t prefetch = (uint16_t)atoi(argv[9]);

  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t *socket = amqp_tcp_socket_new(conn);
  if (!socket) die("creating a socket", "out of memory");
  check_status(amqp_socket_open(socket, host, port), "connecting");
  amqp_rpc_reply_t login = amqp_login(conn, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
  if (login.reply_type != AMQP_RESPONSE_NORMAL) die("logging in", "refused");
  amqp_channel_open(conn, 1);
  check_reply(conn, "opening channel 1");

  char queue[512];
  snprintf(queue, sizeof queue, "%s.bench", exchange);
  amqp_exchange_declare(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
  check_reply(conn, "declaring the exchange");
  amqp_table_entry_t queue_argument = {.key = amqp_cstring_bytes("x-queue-type"),
                                       .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(queue_type)}};
  amqp_table_t queue_arguments = {.num_entries = 1, .entries = &queue_argument};
  amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, queue_arguments);
  check_reply(conn, "declaring the queue");
  amqp_queue_bind(conn, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange), amqp_cstring_bytes("#"), amqp_empty_table);
  check_reply(conn, "binding the queue");
  amqp_confirm_select(conn, 1);
  check_reply(conn, "selecting confirms");

  char *payload = malloc(size ? size : 1);
  for (size_t i = 0; i < size; i++) payload[i] = (char)(0x20 + i % 95);
  amqp_bytes_t body = {.len = size, .bytes = payload};
  confirmed_tags = calloc(messages + 2, 1);

  /* Publish with a sliding window of unconfirmed messages. */
  uint64_t published = 0, confirmed = 0;
  char id[40], published_at[24], key[16];
  double started = now_seconds();
  while (confirmed < messages) {
    while (published < messages && published - confirmed < window) {
      snprintf(id, sizeof id, "0190c0de-0000-7000-8000-%012" PRIx64, published);
      int64_t micros = wall_microseconds();
      snprintf(published_at, sizeof published_at, "%" PRId64, micros);
      snprintf(key, sizeof key, "key-%" PRIu64, published % 16);
      amqp_table_entry_t headers[2] = {
          {.key = amqp_cstring_bytes("message-id"), .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(id)}},
          {.key = amqp_cstring_bytes("published-at"),
           .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(published_at)}},
      };
      amqp_basic_properties_t properties = {
          ._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                    AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_HEADERS_FLAG,
          .content_type = amqp_cstring_bytes("application/octet-stream"),
          .delivery_mode = 2,
          .message_id = amqp_cstring_bytes(id),
          .timestamp = (uint64_t)(micros / 1000000),
          .headers = {.num_entries = 2, .entries = headers},
      };
      check_status(amqp_basic_publish(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes(key), 1, 0, &properties, body),
                   "publishing");
      published++;
    }
    confirmed += read_confirms(conn);
    amqp_maybe_release_buffers(conn);
  }
  double publish_seconds = now_seconds() - started;

  /* Consume with a prefetch and one ack per delivery. */
  amqp_basic_qos(conn, 1, 0, prefetch, 0);
  check_reply(conn, "setting the prefetch");
  amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  check_reply(conn, "starting to consume");
  started = now_seconds();
  uint64_t consumed = 0;
  while (consumed < messages) {
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, NULL, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        amqp_frame_t frame;
        check_status(amqp_simple_wait_frame(conn, &frame), "reading an unexpected frame");
        continue;
      }
      die("consuming", "the delivery could not be read");
    }
    consumed++;
    /* Ack what was handled once the input read so far is used up: one basic.ack with `multiple`
     * for the run, as Switchyard writes the acks of the deliveries handled in one pass. */
    if (consumed == messages || (!amqp_frames_enqueued(conn) && !amqp_data_in_buffer(conn))) {
      check_status(amqp_basic_ack(conn, 1, envelope.delivery_tag, 1), "acking");
    }
    amqp_destroy_envelope(&envelope);
  }
  double consume_seconds = now_seconds() - started;

  printf("publish=%.0f consume=%.0f\n", (double)messages / publish_seconds, (double)messages / consume_seconds);
  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  free(payload);
  free(confirmed_tags);
  return 0;
}
