"""Prints the prices a Switchyard gateway streams: python3 subscribe.py [HOST:PORT] [TOPIC] [KEY...]"""
import os
import sys

import grpc

from switchyard.v1 import gateway_pb2, gateway_pb2_grpc

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
topic = sys.argv[2] if len(sys.argv) > 2 else "prices"
keys = [key.encode() for key in sys.argv[3:]]
token = os.environ.get("SWITCHYARD_GATEWAY_TOKEN")
metadata = [("authorization", f"Bearer {token}")] if token else None

stub = gateway_pb2_grpc.GatewayStub(grpc.insecure_channel(address))
request = gateway_pb2.SubscribeRequest(topic=topic, keys=keys, snapshot=True)
try:
    for response in stub.Subscribe(request, metadata=metadata):
        if response.HasField("started"):
            print(f"subscribed to {topic}", flush=True)
            continue
        for message in response.batch.messages:
            kind = "snapshot" if response.batch.snapshot else "live"
            print(f"{kind} {message.key.decode()} {message.payload.decode(errors='replace')}", flush=True)
except grpc.RpcError as error:
    print(f"stream ended: {error.code().name}: {error.details()}", file=sys.stderr)
    sys.exit(1)
except KeyboardInterrupt:
    pass
