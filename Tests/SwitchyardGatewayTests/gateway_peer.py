"""A grpcio client of the Switchyard gateway, used by SwitchyardGatewayTests as an independent peer.

Usage: gateway_peer.py PROTO_DIR SCENARIO ADDRESS [ARGS...]. It generates its stubs from PROTO_DIR with
grpc_tools at start, runs one scenario, and prints its findings as one JSON object on the last line.
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

proto_dir, scenario, address, *args = sys.argv[1:]
stubs = tempfile.mkdtemp(prefix="switchyard-stubs-")
subprocess.run(
    [sys.executable, "-m", "grpc_tools.protoc", "-I", proto_dir, f"--python_out={stubs}",
     f"--grpc_python_out={stubs}", "switchyard/v1/gateway.proto"],
    check=True,
)
sys.path.insert(0, stubs)
from switchyard.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc  # noqa: E402

TOKEN = os.environ.get("GATEWAY_TOKEN")
METADATA = [("authorization", f"Bearer {TOKEN}")] if TOKEN else None


def channel():
    ca = os.environ.get("GATEWAY_CA")
    if ca:
        def read(name):
            path = os.environ.get(name)
            if not path:
                return None
            with open(path, "rb") as pem:
                return pem.read()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read("GATEWAY_CA"), private_key=read("GATEWAY_CLIENT_KEY"),
            certificate_chain=read("GATEWAY_CLIENT_CERT"))
        return grpc.secure_channel(address, credentials)
    return grpc.insecure_channel(address)


def publish(stub, topic, messages):
    """messages: [(key, payload)]; returns the responses as (id, error_code)."""
    requests = (pb.PublishRequest(topic=topic, message=pb.GatewayMessage(key=k.encode(), payload=p.encode()))
                for k, p in messages)
    return [(r.id, r.error_code) for r in stub.Publish(requests, metadata=METADATA, timeout=30)]


def subscribe_until(stub, request, wanted, on_started=None):
    """Reads until `wanted` messages arrived; returns (started, [(key, payload, position)])."""
    received, started = [], None
    call = stub.Subscribe(request, metadata=METADATA, timeout=30)
    for response in call:
        if response.HasField("started"):
            started = response.started
            if on_started:
                on_started()
            continue
        for m in response.batch.messages:
            received.append((m.key.decode(), m.payload.decode(), m.position))
        if len(received) >= wanted:
            call.cancel()
            break
    return started, received


def subscribe_in_background(stub, topic, key, wanted):
    """Subscribes to `key` of `topic` on a thread; returns once it started, with the thread and a list
    that gets the (key, payload, position) of the `wanted` messages."""
    ready = threading.Event()
    received = []

    def reader():
        request = pb.SubscribeRequest(topic=topic, keys=[key], mode=pb.DELIVERY_MODE_EVERY_MESSAGE)
        received.extend(subscribe_until(stub, request, wanted, on_started=ready.set)[1])

    thread = threading.Thread(target=reader)
    thread.start()
    ready.wait(10)
    return thread, received


def filtered():
    stub = rpc.GatewayStub(channel())
    result = {}
    thread, received = subscribe_in_background(stub, "prices", b"BTC-USD", 7)
    symbols = ["BTC-USD", "ETH-USD", "SOL-USD"]
    acks = publish(stub, "prices", [(symbols[i % 3], str(i)) for i in range(21)])
    thread.join(20)
    result["received"] = [f"{k}:{p}" for k, p, _ in received]
    result["acks"] = [i for i, _ in acks]
    result["errors"] = [e for _, e in acks if e]
    return result


def publish_outcomes():
    """Publishes 300 messages of key K on one stream, the one at index 150 of ARGS[0] bytes, too large
    for the backend; a subscriber of K reads the 299 others."""
    stub = rpc.GatewayStub(channel())
    thread, received = subscribe_in_background(stub, "outcomes", b"K", 299)
    responses = publish(stub, "outcomes", [("K", "x" * int(args[0]) if i == 150 else str(i)) for i in range(300)])
    thread.join(30)
    return {"received": [p for _, p, _ in received], "codes": [code for _, code in responses]}


def status_of(action):
    try:
        action()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def authorization():
    topic = args[0]
    stub = rpc.GatewayStub(channel())

    def first_event():
        call = stub.Subscribe(pb.SubscribeRequest(topic=topic), metadata=METADATA, timeout=10)
        next(iter(call))
        call.cancel()

    def one_publish():
        responses = publish(stub, topic, [("k", "v")])
        if responses[0][1]:
            raise RuntimeError(responses[0][1])

    return {"subscribe": status_of(first_event), "publish": status_of(one_publish)}


def resume():
    stub = rpc.GatewayStub(channel())
    publish(stub, "ticks", [("k", f"p{i}") for i in range(5)])
    earliest = pb.SubscribeRequest(topic="ticks", start=pb.START_FROM_EARLIEST, mode=pb.DELIVERY_MODE_EVERY_MESSAGE)
    _, first = subscribe_until(stub, earliest, 5)
    publish(stub, "ticks", [("k", f"p{i}") for i in range(5, 10)])
    resumed = pb.SubscribeRequest(topic="ticks", start=pb.START_FROM_POSITION, resume_from=first[-1][2],
                                  mode=pb.DELIVERY_MODE_EVERY_MESSAGE)
    started, second = subscribe_until(stub, resumed, 5)
    foreign = pb.SubscribeRequest(topic="ticks", start=pb.START_FROM_POSITION,
                                  resume_from=pb.StreamPosition(epoch=1, sequence=3).SerializeToString())
    call = stub.Subscribe(foreign, metadata=METADATA, timeout=10)
    gap = next(iter(call)).started
    call.cancel()
    epoch = pb.StreamPosition.FromString(first[-1][2]).epoch
    ahead = pb.SubscribeRequest(topic="ticks", start=pb.START_FROM_POSITION,
                                resume_from=pb.StreamPosition(epoch=epoch, sequence=2**64 - 1).SerializeToString())
    call = stub.Subscribe(ahead, metadata=METADATA, timeout=10)
    beyond = next(iter(call)).started
    call.cancel()
    return {
        "aheadRecovery": pb.Recovery.Name(beyond.recovery),
        "first": [p for _, p, _ in first],
        "recovery": pb.Recovery.Name(started.recovery),
        "second": [p for _, p, _ in second],
        "foreignRecovery": pb.Recovery.Name(gap.recovery),
        "foreignDetail": gap.detail,
    }


def session():
    stub = rpc.GatewayStub(channel())
    commands = queue.Queue()
    events = queue.Queue()

    def requests():
        while True:
            command = commands.get()
            if command is None:
                return
            yield command

    call = stub.Session(requests(), metadata=METADATA, timeout=60)

    def reader():
        try:
            for response in call:
                events.put(response)
        except grpc.RpcError:
            pass

    threading.Thread(target=reader, daemon=True).start()

    def events_within(seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                yield events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                return

    def wait_for(kind, seconds=10):
        for event in events_within(seconds):
            if event.WhichOneof("event") == kind:
                return event
            pending.append(event)
        return None

    def messages_within(seconds):
        got = []
        for event in events_within(seconds):
            if event.WhichOneof("event") == "batch":
                got += [(m.sequence, m.payload.decode()) for m in event.batch.messages]
            else:
                pending.append(event)
        return got

    pending = []
    witness = stub.Subscribe(pb.SubscribeRequest(topic="board", mode=pb.DELIVERY_MODE_EVERY_MESSAGE),
                             metadata=METADATA, timeout=60)
    witnessed = iter(witness)
    next(witnessed)
    commands.put(pb.SessionRequest(command_id=1, subscribe=pb.SubscribeRequest(
        topic="board", mode=pb.DELIVERY_MODE_EVERY_MESSAGE)))
    subscribed = wait_for("result")
    wait_for("started")
    publish(stub, "board", [("k", f"m{i}") for i in range(6)])
    # The plain subscriber seeing all six proves the gateway holds them, however long the backend took.
    seen = 0
    while seen < 6:
        seen += len(next(witnessed).batch.messages)
    witness.cancel()
    before_credit = messages_within(0.5)
    commands.put(pb.SessionRequest(command_id=2, credit=pb.Credit(messages=2)))
    first_window = messages_within(1.0)
    commands.put(pb.SessionRequest(command_id=3, ack=pb.Ack(through_sequence=2)))
    after_ack = messages_within(1.0)
    commands.put(pb.SessionRequest(command_id=4, ack=pb.Ack(through_sequence=99)))
    commands.put(pb.SessionRequest(command_id=5, unsubscribe=pb.Unsubscribe(
        subscription_id=subscribed.result.subscription_id)))
    commands.put(pb.SessionRequest(command_id=6, credit=pb.Credit(messages=100)))
    commands.put(pb.SessionRequest(command_id=7, unsubscribe=pb.Unsubscribe(subscription_id="nope")))
    after_unsubscribe = messages_within(1.0)
    while not events.empty():
        pending.append(events.get())
    results = {str(e.result.command_id): e.result.error_code or "OK"
               for e in pending if e.WhichOneof("event") == "result"}
    commands.put(None)
    call.cancel()
    return {
        "subscriptionId": subscribed.result.subscription_id,
        "beforeCredit": len(before_credit),
        "firstWindow": first_window,
        "afterAck": after_ack,
        "afterUnsubscribe": len(after_unsubscribe),
        "results": results,
    }


def snapshot_credit():
    """A session with credit 1 subscribes with a snapshot of 3 keys: it gets 1 message, then the rest."""
    stub = rpc.GatewayStub(channel())
    warm = stub.Subscribe(pb.SubscribeRequest(topic="board2"), metadata=METADATA, timeout=30)
    next(iter(warm))
    publish(stub, "board2", [(k, f"{k}-price") for k in ("a", "b", "c")])
    time.sleep(0.5)
    commands = queue.Queue()
    commands.put(pb.SessionRequest(command_id=1, credit=pb.Credit(messages=1)))
    commands.put(pb.SessionRequest(command_id=2, subscribe=pb.SubscribeRequest(topic="board2", snapshot=True)))
    call = stub.Session(iter(commands.get, None), metadata=METADATA, timeout=30)
    received = []

    def reader():
        try:
            for response in call:
                if response.WhichOneof("event") == "batch":
                    received.extend((m.payload.decode(), response.batch.snapshot) for m in response.batch.messages)
        except grpc.RpcError:
            pass

    threading.Thread(target=reader, daemon=True).start()
    time.sleep(1.0)
    first = list(received)
    commands.put(pb.SessionRequest(command_id=3, credit=pb.Credit(messages=5)))
    time.sleep(1.0)
    commands.put(None)
    warm.cancel()
    call.cancel()
    return {"first": [p for p, _ in first], "all": sorted(p for p, _ in received),
            "snapshot": all(flag for _, flag in received)}


def slow():
    """Subscribes, says `ready`, reads nothing until the file args[1] exists, then reads to the end."""
    mode = pb.DELIVERY_MODE_EVERY_MESSAGE if args[0] == "every" else pb.DELIVERY_MODE_CONFLATED
    stub = rpc.GatewayStub(channel())
    call = stub.Subscribe(pb.SubscribeRequest(topic="flood", mode=mode), metadata=METADATA, timeout=120)
    events = iter(call)
    next(events)
    print("ready", flush=True)
    while not os.path.exists(args[1]):
        time.sleep(0.05)
    received, conflated, last = 0, 0, {}
    try:
        for response in events:
            received += len(response.batch.messages)
            conflated += response.batch.conflated
            for m in response.batch.messages:
                last[m.key.decode()] = m.payload.decode()
            if last.get("END") == "end":
                call.cancel()
                return {"received": received, "conflated": conflated, "last": last, "status": "OK"}
    except grpc.RpcError as error:
        return {"received": received, "conflated": conflated, "status": error.code().name, "details": error.details()}
    return {"received": received, "conflated": conflated, "status": "ENDED"}


def steady_reader():
    """Subscribes to every message of `flood` and says `ready`; says `warm` at the first message keyed
    WARM; then reads to the END message, measuring each other message's latency from its
    `published_at` to its arrival here."""
    stub = rpc.GatewayStub(channel())
    call = stub.Subscribe(pb.SubscribeRequest(topic="flood", mode=pb.DELIVERY_MODE_EVERY_MESSAGE),
                          metadata=METADATA, timeout=300)
    events = iter(call)
    next(events)
    print("ready", flush=True)
    warm = False
    latencies = []
    try:
        for response in events:
            now = time.time_ns() // 1000
            for m in response.batch.messages:
                if m.key == b"WARM":
                    if not warm:
                        print("warm", flush=True)
                    warm = True
                    continue
                latencies.append(now - m.published_at.ToMicroseconds())
                if m.key == b"END":
                    call.cancel()
                    latencies.sort()
                    return {"received": len(latencies), "status": "OK",
                            "p50Ms": latencies[len(latencies) // 2] / 1000,
                            "p99Ms": latencies[len(latencies) * 99 // 100] / 1000,
                            "maxMs": latencies[-1] / 1000}
    except grpc.RpcError as error:
        return {"received": len(latencies), "status": error.code().name, "details": error.details()}
    return {"received": len(latencies), "status": "ENDED"}


def limits():
    """Against a gateway allowing 2 streams per connection, 1 subscription per session and payloads of
    at most ARGS[0] bytes, with ARGS[1] bytes of envelope: a third stream waits for a free one, a second
    subscription and a larger payload are refused, and a request beyond the envelope resets its stream."""
    stub = rpc.GatewayStub(channel())
    request = pb.SubscribeRequest(topic="limits")
    first = stub.Subscribe(request, metadata=METADATA, timeout=30)
    second = stub.Subscribe(request, metadata=METADATA, timeout=30)
    next(iter(first))
    next(iter(second))
    third = stub.Subscribe(request, metadata=METADATA, timeout=30)
    third_started = threading.Event()
    threading.Thread(target=lambda: (next(iter(third)), third_started.set()), daemon=True).start()
    held = not third_started.wait(1.0)
    first.cancel()
    admitted = third_started.wait(10)
    second.cancel()
    third.cancel()

    commands = queue.Queue()
    for command_id in (1, 2):
        commands.put(pb.SessionRequest(command_id=command_id, subscribe=request))
    session = stub.Session(iter(commands.get, None), metadata=METADATA, timeout=30)
    results = {}
    for event in session:
        if event.WhichOneof("event") == "result":
            results[str(event.result.command_id)] = event.result.error_code or "OK"
        if len(results) == 2:
            break
    commands.put(None)
    session.cancel()

    limit, envelope = int(args[0]), int(args[1])
    answers = publish(stub, "limits", [("k", "x" * limit), ("k", "x" * (limit + 1)), ("k", "small")])
    return {"thirdStreamHeld": held, "thirdStreamAdmitted": admitted, "sessionResults": results,
            "publishCodes": [code or "OK" for _, code in answers],
            "hugeRequest": status_of(lambda: publish(stub, "limits", [("k", "x" * (limit + envelope + 1))]))}


def health():
    stub = health_pb2_grpc.HealthStub(channel())
    response = stub.Check(health_pb2.HealthCheckRequest(service="switchyard.v1.Gateway"), timeout=10)
    return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(response.status),
            "unknown": status_of(lambda: stub.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=10))}


def tls():
    stub = rpc.GatewayStub(channel())

    def first_event():
        call = stub.Subscribe(pb.SubscribeRequest(topic="prices"), metadata=METADATA, timeout=10)
        next(iter(call))
        call.cancel()

    return {"subscribe": status_of(first_event)}


SCENARIOS = {"filtered": filtered, "publish_outcomes": publish_outcomes, "snapshot_credit": snapshot_credit, "authorization": authorization, "resume": resume, "session": session,
             "limits": limits, "slow": slow, "steady_reader": steady_reader, "health": health, "tls": tls}
print(json.dumps(SCENARIOS[scenario]()), flush=True)
