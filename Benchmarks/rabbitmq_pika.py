"""pika baseline for `switchyard bench --backend rabbitmq` (see Benchmarks/rabbitmq.sh).

The same work as rabbitmq_baseline.c, through pika's asynchronous SelectConnection (its blocking
channel waits for each confirm in turn, which would be a window of 1):

  publish: N persistent messages of SIZE bytes, mandatory, in confirm mode, at most WINDOW
           unconfirmed at once, with the properties and headers Switchyard sends. The clock runs from
           the first publish to the last confirm.
  consume: basic.qos PREFETCH, basic.consume with manual acks, one ack per delivery (pika has no
           hook for "input used up", so it does not coalesce acks with multiple as the others do).
           The clock runs from basic.consume-ok to the ack of the N-th delivery.

Prints one line: `publish=<msg/s> consume=<msg/s>`.

Usage: python3 rabbitmq_pika.py HOST PORT VHOST EXCHANGE QUEUE_TYPE MESSAGES SIZE WINDOW PREFETCH
"""

import sys
import time

import pika


class Bench:
    def __init__(self, argv):
        (self.host, port, self.vhost, self.exchange, self.queue_type,
         messages, size, window, prefetch) = argv
        self.port = int(port)
        self.messages = int(messages)
        self.window = int(window)
        self.prefetch = int(prefetch)
        self.queue = self.exchange + ".bench"
        self.body = bytes(0x20 + i % 95 for i in range(int(size)))
        self.published = 0
        self.confirmed = 0
        self.pending = set()
        self.consumed = 0
        self.publish_rate = None
        self.consume_rate = None
        self.failure = None
        self.channel = None
        self.started = 0.0

    def run(self):
        parameters = pika.ConnectionParameters(
            host=self.host, port=self.port, virtual_host=self.vhost,
            credentials=pika.PlainCredentials("guest", "guest"), heartbeat=0)
        self.connection = pika.SelectConnection(
            parameters, on_open_callback=self.on_open,
            on_open_error_callback=lambda _c, error: self.fail("connecting: %s" % error))
        self.connection.ioloop.start()
        if self.failure:
            sys.exit("rabbitmq_pika: " + self.failure)
        print("publish=%.0f consume=%.0f" % (self.publish_rate, self.consume_rate))

    def fail(self, reason):
        self.failure = reason
        self.connection.ioloop.stop()

    def on_open(self, connection):
        connection.channel(on_open_callback=self.on_channel)

    def on_channel(self, channel):
        self.channel = channel
        channel.add_on_close_callback(lambda _ch, reason: self.consume_rate is None and self.fail("channel closed: %s" % reason))
        channel.add_on_return_callback(lambda *_: self.fail("a message was returned as unroutable"))
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True, callback=self.on_exchange)

    def on_exchange(self, _frame):
        self.channel.queue_declare(self.queue, durable=True, arguments={"x-queue-type": self.queue_type},
                                   callback=self.on_queue)

    def on_queue(self, _frame):
        self.channel.queue_bind(self.queue, self.exchange, routing_key="#", callback=self.on_bound)

    def on_bound(self, _frame):
        self.channel.confirm_delivery(self.on_confirm, callback=self.on_confirm_mode)

    def on_confirm_mode(self, _frame):
        self.started = time.monotonic()
        self.publish_more()

    def publish_more(self):
        while self.published < self.messages and len(self.pending) < self.window:
            index = self.published
            micros = time.time_ns() // 1000
            message_id = "0190c0de-0000-7000-8000-%012x" % index
            properties = pika.BasicProperties(
                content_type="application/octet-stream", delivery_mode=2, message_id=message_id,
                timestamp=micros // 1_000_000,
                headers={"message-id": message_id, "published-at": str(micros)})
            self.channel.basic_publish(self.exchange, "key-%d" % (index % 16), self.body, properties, mandatory=True)
            self.published += 1
            self.pending.add(self.published)

    def on_confirm(self, frame):
        method = frame.method
        if isinstance(method, pika.spec.Basic.Nack):
            self.fail("the broker nacked a message")
            return
        if method.multiple:
            settled = {tag for tag in self.pending if tag <= method.delivery_tag}
            self.pending -= settled
            self.confirmed += len(settled)
        elif method.delivery_tag in self.pending:
            self.pending.discard(method.delivery_tag)
            self.confirmed += 1
        if self.confirmed == self.messages:
            self.publish_rate = self.messages / (time.monotonic() - self.started)
            self.channel.basic_qos(prefetch_count=self.prefetch, callback=self.on_qos)
        else:
            self.publish_more()

    def on_qos(self, _frame):
        self.channel.basic_consume(self.queue, self.on_delivery, auto_ack=False, callback=self.on_consuming)

    def on_consuming(self, _frame):
        self.started = time.monotonic()

    def on_delivery(self, channel, method, _properties, _body):
        channel.basic_ack(method.delivery_tag)
        self.consumed += 1
        if self.consumed == self.messages:
            self.consume_rate = self.messages / (time.monotonic() - self.started)
            self.connection.close()
            self.connection.ioloop.stop()


if __name__ == "__main__":
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    Bench(sys.argv[1:]).run()
