// swift-tools-version: 6.1

import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

// Targets and products are listed by layer, each depending only on the layers above it: the core,
// one target per backend, the contract suite, migration, building a backend from settings, the CLI.
let package = Package(
    name: "switchyard",
    products: [
        // Core: the broker-agnostic messaging model, and the settings that select and tune a backend.
        .library(name: "Switchyard", targets: ["Switchyard"]),
        .library(name: "SwitchyardConfiguration", targets: ["SwitchyardConfiguration"]),
        // Backends: one library per broker.
        .library(name: "SwitchyardInMemory", targets: ["SwitchyardInMemory"]),
        .library(name: "SwitchyardRabbitMQ", targets: ["SwitchyardRabbitMQ"]),
        .library(name: "SwitchyardKafka", targets: ["SwitchyardKafka"]),
        // Contract: the suite every backend passes.
        .library(name: "SwitchyardContract", targets: ["SwitchyardContract"]),
        // Migration: moving between brokers.
        .library(name: "SwitchyardMigration", targets: ["SwitchyardMigration"]),
        // Backend selection: the backend that settings name, built with every backend linked.
        .library(name: "SwitchyardBackends", targets: ["SwitchyardBackends"]),
        // Gateway: live messages from any backend to end users over gRPC.
        .library(name: "SwitchyardGateway", targets: ["SwitchyardGateway"]),
        // CLI: the `switchyard` tool. The libraries it is built from (commands, demo pipeline, bench,
        // latency histograms) have only `package` API, so they are not products.
        .executable(name: "switchyard", targets: ["SwitchyardCLI"]),
    ],
    dependencies: [
        // Core.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Backends.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // Migration.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Gateway.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // CLI.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation`, which `make docs` runs; no target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Core

        // The broker-agnostic core: messages, topics, producers, consumers, errors, capabilities.
        .target(
            name: "Switchyard",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Settings: keys, layered loading (file, SWITCHYARD_* environment, flags), redaction, typed
        // settings. It names the backends but links none of them; SwitchyardBackends builds them.
        .target(
            name: "SwitchyardConfiguration",
            dependencies: [
                "Switchyard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),

        // Publish-to-consume latency histograms (HdrHistogram), recorded one way by the demo, the bench and the
        // shadow comparison; apart from the core, which does not depend on hdrhistogram-swift.
        .target(
            name: "SwitchyardLatency",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strict
        ),

        // MARK: Backends

        // The embedded in-memory backend, the default.
        .target(
            name: "SwitchyardInMemory",
            dependencies: [
                "Switchyard",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // rabbitmq-c (librabbitmq) as a Swift module, with a shim for the variadic amqp_login.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        // The RabbitMQ backend over rabbitmq-c; its C glue lives in RabbitMQC/.
        .target(
            name: "SwitchyardRabbitMQ",
            dependencies: [
                "Switchyard",
                "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // librdkafka, with its mock cluster, as a Swift module.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The Kafka backend over librdkafka, with an in-process mock cluster for tests and development.
        .target(
            name: "SwitchyardKafka",
            dependencies: [
                "Switchyard",
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // MARK: Contract

        // The public contract suite every backend runs unchanged.
        .target(
            name: "SwitchyardContract",
            dependencies: ["Switchyard"],
            swiftSettings: strict
        ),

        // MARK: Migration

        // Moving between brokers: the dual-write backend with its durable spool, and the shadow comparison.
        .target(
            name: "SwitchyardMigration",
            dependencies: [
                "Switchyard",
                "SwitchyardLatency",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        // A process that sends through a dual-write spool until it is killed; the SIGKILL test runs it.
        .executableTarget(
            name: "SwitchyardDualWriteProbe",
            dependencies: ["Switchyard", "SwitchyardInMemory", "SwitchyardMigration"],
            swiftSettings: strict
        ),

        // MARK: Backend selection

        // BackendFactory: the backend that SwitchyardSettings select, alone or as the two sides of a dual write.
        .target(
            name: "SwitchyardBackends",
            dependencies: [
                "Switchyard",
                "SwitchyardConfiguration",
                "SwitchyardInMemory",
                "SwitchyardRabbitMQ",
                "SwitchyardKafka",
                "SwitchyardMigration",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Gateway

        // The gRPC gateway: one backend consumer per topic, fanned out to bounded subscriber queues, with
        // resume, snapshots, bearer-token scopes and TLS. Its protobuf code is generated from proto/ by
        // `make proto` and committed in Generated/.
        .target(
            name: "SwitchyardGateway",
            dependencies: [
                "Switchyard",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),

        // MARK: CLI

        // The crypto price pipeline: a simulated market feed, a candle aggregator and a price board.
        .target(
            name: "SwitchyardDemo",
            dependencies: [
                "Switchyard",
                "SwitchyardLatency",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        // `switchyard bench`'s engine: the workload, the subjects measured, their runs, rows and report.
        .target(
            name: "SwitchyardBench",
            dependencies: [
                "Switchyard",
                "SwitchyardLatency",
                "SwitchyardMigration",
                "SwitchyardGateway",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        // The `switchyard` commands as a library, so tests can drive them in-process.
        .target(
            name: "SwitchyardCommands",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardConfiguration",
                "SwitchyardBackends",
                "SwitchyardDemo",
                "SwitchyardMigration",
                "SwitchyardBench",
                "SwitchyardKafka",
                "SwitchyardGateway",
                "SwitchyardContract",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "SwitchyardCLI",
            dependencies: ["SwitchyardCommands"],
            swiftSettings: strict
        ),

        // MARK: Tests, in the same layer order

        // What the test targets share: waits with deadlines instead of sleeps, and a child-process runner.
        .target(
            name: "SwitchyardTestSupport",
            path: "Tests/SwitchyardTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardTests",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardTestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardConfigurationTests",
            dependencies: ["Switchyard", "SwitchyardConfiguration"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardInMemoryTests",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardContract",
                "SwitchyardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardRabbitMQTests",
            dependencies: [
                "Switchyard",
                "SwitchyardRabbitMQ",
                "SwitchyardContract",
                "SwitchyardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardKafkaTests",
            dependencies: [
                "Switchyard",
                "SwitchyardKafka",
                "SwitchyardContract",
                "SwitchyardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardMigrationTests",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardMigration",
                "SwitchyardConfiguration",
                "SwitchyardBackends",
                "SwitchyardDualWriteProbe",
                "SwitchyardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardBackendsTests",
            dependencies: [
                "Switchyard",
                "SwitchyardConfiguration",
                "SwitchyardBackends",
                "SwitchyardInMemory",
                "SwitchyardRabbitMQ",
                "SwitchyardKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardGatewayTests",
            dependencies: [
                "Switchyard",
                "SwitchyardGateway",
                "SwitchyardInMemory",
                "SwitchyardKafka",
                "SwitchyardRabbitMQ",
                "SwitchyardCLI",
                "SwitchyardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["gateway_peer.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardDemoTests",
            dependencies: ["SwitchyardDemo", "SwitchyardInMemory"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardCommandsTests",
            dependencies: [
                "SwitchyardCommands",
                "SwitchyardContract",
                "SwitchyardTestSupport",
                "SwitchyardBench",
                "SwitchyardConfiguration",
                "SwitchyardBackends",
                "SwitchyardInMemory",
                "SwitchyardKafka",
                "SwitchyardMigration",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ]
)
