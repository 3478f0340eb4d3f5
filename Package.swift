// swift-tools-version: 6.1

import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "switchyard",
    products: [
        .library(name: "Switchyard", targets: ["Switchyard"]),
        .library(name: "SwitchyardInMemory", targets: ["SwitchyardInMemory"]),
        .library(name: "SwitchyardContract", targets: ["SwitchyardContract"]),
        .library(name: "SwitchyardConfiguration", targets: ["SwitchyardConfiguration"]),
        .library(name: "SwitchyardKafka", targets: ["SwitchyardKafka"]),
        .library(name: "SwitchyardMigration", targets: ["SwitchyardMigration"]),
        .executable(name: "switchyard", targets: ["SwitchyardCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
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
        // The public contract suite every backend runs unchanged.
        .target(
            name: "SwitchyardContract",
            dependencies: ["Switchyard"],
            swiftSettings: strict
        ),
        // Publish-to-consume latency histograms (HdrHistogram), recorded one way by the demo, the bench and the
        // shadow comparison; apart from the core, which does not depend on hdrhistogram-swift.
        .target(
            name: "SwitchyardLatency",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strict
        ),
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
        // Layered configuration (file, SWITCHYARD_* environment, flags) and backend selection.
        .target(
            name: "SwitchyardConfiguration",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardKafka",
                "SwitchyardRabbitMQ",
                "SwitchyardMigration",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
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
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
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
                "SwitchyardDemo",
                "SwitchyardMigration",
                "SwitchyardBench",
                "SwitchyardKafka",
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
        .testTarget(
            name: "SwitchyardTests",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardInMemoryTests",
            dependencies: [
                "Switchyard",
                "SwitchyardInMemory",
                "SwitchyardContract",
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
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardConfigurationTests",
            dependencies: [
                "SwitchyardConfiguration",
                "SwitchyardInMemory",
                "SwitchyardKafka",
                "SwitchyardRabbitMQ",
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
                "SwitchyardDualWriteProbe",
                .product(name: "Logging", package: "swift-log"),
            ],
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
                "SwitchyardBench",
                "SwitchyardConfiguration",
                "SwitchyardInMemory",
                "SwitchyardKafka",
                "SwitchyardMigration",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ]
)
