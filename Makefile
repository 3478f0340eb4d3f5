# Switchyard's two entry points for a fresh Debian machine, run as root:
#   make demo   the crypto price demo on the embedded in-memory backend
#   make test   every test, after installing and starting what the tests need
# and its documentation:
#   make docs   every library target's DocC documentation; any warning fails it
# Each target does its own set-up and is safe to run again.

SWIFT_BIN ?= /opt/swift/usr/bin
export PATH := $(SWIFT_BIN):$(PATH)

# Debian packages: the C client libraries the backends link, a RabbitMQ broker, and interop peers.
BUILD_PACKAGES := pkg-config librdkafka-dev librabbitmq-dev
TEST_PACKAGES := $(BUILD_PACKAGES) rabbitmq-server kcat amqp-tools chromium openssl

DEMO_SECONDS ?= 10

# Python clients used as independent interop peers in the tests: pika (AMQP), and grpcio with its code
# generator and health-checking client (the gateway).
PYTHON_PEERS := pika grpcio grpcio-tools grpcio-health-checking
PYTHON_PEER_MODULES := pika, grpc, grpc_tools, grpc_health.v1

.PHONY: proto proto-check demo test docs build setup-build setup-test rabbitmq python-peers bench sanitize-thread rehearse

demo: setup-build
	swift build -c release --product switchyard
	.build/release/switchyard demo --seconds $(DEMO_SECONDS)

# Some tests run on their own, after the rest. The RabbitMQ tests share one broker, which their
# contract and fault cases restart (stop_app/start_app, close_all_connections), so nothing else runs
# beside them; the fault tests go last. The Kafka handle lifetime tests count the process's threads,
# which other tests running beside them would change. The gateway memory test floods a separate gateway
# process with 200 MiB and reads its resident memory; it runs alone, so its load slows no timed test.
RABBITMQ_TESTS := SwitchyardRabbitMQTests
BROKER_FAULT_TESTS := SwitchyardRabbitMQTests\.BrokerTests/FaultTests
THREAD_COUNTING_TESTS := SwitchyardKafkaTests\.KafkaHandleLifetimeTests
GATEWAY_MEMORY_TESTS := SwitchyardGatewayTests\.GatewayMemoryTests

test: setup-test rabbitmq python-peers
	@.ci/clean-rabbitmq
	swift build --build-tests
	swift test --skip-build --skip '$(RABBITMQ_TESTS)' --skip '$(THREAD_COUNTING_TESTS)' --skip '$(GATEWAY_MEMORY_TESTS)'
	swift test --skip-build --filter '$(RABBITMQ_TESTS)' --skip '$(BROKER_FAULT_TESTS)'
	swift test --skip-build --filter '$(BROKER_FAULT_TESTS)'
	swift test --skip-build --filter '$(THREAD_COUNTING_TESTS)'
	swift test --skip-build --filter '$(GATEWAY_MEMORY_TESTS)'

# The library targets with a DocC catalog, Sources/<Target>/<Target>.docc.
DOC_TARGETS := Switchyard SwitchyardInMemory SwitchyardKafka SwitchyardRabbitMQ SwitchyardContract \
	SwitchyardMigration SwitchyardConfiguration SwitchyardBackends SwitchyardGateway SwitchyardDemo

# swift-docc-plugin builds one archive per target into .build/plugins/Swift-DocC/outputs/. docc turns
# its own warnings into errors; any other warning in the output (the compiler's, the plugin's) fails too.
docs: setup-build
	@log=$$(mktemp); \
	swift package --disable-sandbox generate-documentation $(addprefix --target ,$(DOC_TARGETS)) \
		--warnings-as-errors >"$$log" 2>&1; \
	status=$$?; cat "$$log"; \
	if grep -q 'warning:' "$$log"; then echo 'make docs: fix the warnings above' >&2; status=1; fi; \
	rm -f "$$log"; exit $$status

# The RabbitMQ-to-Kafka migration, all five phases, on the local RabbitMQ and a Kafka mock cluster.
rehearse: rabbitmq
	swift build -c release --product switchyard
	.build/release/switchyard migrate rehearse

build: setup-build
	swift build

bench: setup-build
	Benchmarks/inmemory.sh
	Benchmarks/kafka.sh

sanitize-thread: setup-build
	swift test --sanitize=thread

setup-build:
	@.ci/install-packages $(BUILD_PACKAGES)

setup-test:
	@.ci/install-packages $(TEST_PACKAGES)

rabbitmq: setup-test
	@.ci/start-rabbitmq

python-peers:
	@python3 -c "import $(PYTHON_PEER_MODULES)" 2>/dev/null || python3 -m pip install -q $(PYTHON_PEERS)

# The gateway's protobuf and gRPC code, generated from proto/ and committed in
# Sources/SwitchyardGateway/Generated/. protoc comes from Debian; both plugins build from the package's
# own dependencies (not the GRPCProtobufGenerator build plugin, which compiles protoc from source).
PROTO_FILES := switchyard/v1/gateway.proto grpc/health/v1/health.proto
PROTO_GENERATED := Sources/SwitchyardGateway/Generated

proto: setup-build
	@.ci/install-packages protobuf-compiler
	swift build -c release --product protoc-gen-swift
	swift build -c release --product protoc-gen-grpc-swift-2
	@out=$$(mktemp -d); bin=$$(swift build -c release --show-bin-path); \
	protoc -I proto --plugin=protoc-gen-swift=$$bin/protoc-gen-swift \
		--plugin=protoc-gen-grpc-swift=$$bin/protoc-gen-grpc-swift-2 \
		--swift_out=Visibility=Public:$$out --grpc-swift_out=Visibility=Public,Client=true,Server=true:$$out \
		$(PROTO_FILES) && \
	cp $$out/switchyard/v1/*.swift $$out/grpc/health/v1/*.swift $(PROTO_GENERATED)/ && rm -rf $$out

# Fails when the committed generated code is not what proto/ generates.
proto-check: proto
	@git diff --exit-code --stat -- $(PROTO_GENERATED) || \
		{ echo 'make proto-check: Sources/SwitchyardGateway/Generated is stale; run make proto and commit it' >&2; exit 1; }
