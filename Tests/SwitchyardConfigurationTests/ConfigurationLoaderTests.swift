import Foundation
import Switchyard
import Testing

@testable import SwitchyardConfiguration

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, extension pathExtension: String = "yaml") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(UUID().uuidString).\(pathExtension)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// The error `body` throws, for checking its code and message.
func configurationError(_ body: () throws(SwitchyardError) -> Void) -> SwitchyardError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

@Suite struct ConfigurationLoaderTests {
    @Test func withNoLayersEveryKeyHasItsDefault() throws {
        let resolved = try ConfigurationLoader.load(file: nil, environment: ["PATH": "/bin"], flags: [])
        #expect(resolved.settings == SwitchyardSettings())
        // gateway.tokens has no default: unset, it is left out.
        #expect(resolved.entries.map(\.key) == SettingKey.all.map(\.name).filter { $0 != SettingKey.gatewayTokens.name })
        #expect(resolved.entries.allSatisfy { $0.source == .defaultValue })
    }

    @Test func unknownBackendInEnvironmentNamesTheVariableAndTheAllowedBackends() {
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHYARD_BACKEND": "kafak"], flags: [])
        }
        #expect(error?.code == .unknownBackend)
        #expect(error?.message == "unknown backend 'kafak' in SWITCHYARD_BACKEND; allowed: inmemory, kafka, rabbitmq, dual")
    }

    @Test func badValueInFileNamesKeyValueFileAndAllowedRange() throws {
        let path = try temporaryFile("inmemory:\n  partitions: lots\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "invalid value 'lots' for inmemory.partitions in config file \(path); allowed: an integer from 1 to 1024")
    }

    @Test func badChoiceFromFlagNamesTheFlagAndTheChoices() {
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(
                file: nil, environment: [:],
                flags: [FlagOverride(key: "log.level", value: "loud", flag: "--set log.level")]
            )
        }
        #expect(error?.message == "invalid value 'loud' for log.level in --set log.level; allowed: trace, debug, info, notice, warning, error, critical")
    }

    @Test func unknownKeyInFileIsRejectedWithTheClosestKnownKey() throws {
        let path = try temporaryFile("inmemory:\n  partitons: 3\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("unknown configuration key 'inmemory.partitons' in config file \(path); did you mean 'inmemory.partitions'?") == true)
    }

    @Test func unknownSwitchyardEnvironmentVariableIsRejectedWithTheClosestKnownVariable() {
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHYARD_INMEMORY_PARTITION": "3"], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(
            error?.message.hasPrefix(
                "unknown environment variable SWITCHYARD_INMEMORY_PARTITION; did you mean 'SWITCHYARD_INMEMORY_PARTITIONS'?"
            ) == true
        )
    }

    @Test func theTestSuitesOwnVariablesAreIgnoredButTheirMisspellingsAreNot() throws {
        let environment = ["SWITCHYARD_KAFKA_BROKERS": "broker-1:9092", "SWITCHYARD_TEST_RABBITMQ_HOST": "rabbit.local"]
        let resolved = try ConfigurationLoader.load(file: nil, environment: environment, flags: [])
        #expect(resolved.settings == SwitchyardSettings())
        #expect(resolved.entries.allSatisfy { $0.source == .defaultValue })

        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHYARD_KAFKA_BROKER": "broker-1:9092"], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(
            error?.message.hasPrefix("unknown environment variable SWITCHYARD_KAFKA_BROKER; did you mean 'SWITCHYARD_KAFKA_BROKERS'?") == true,
            "\(String(describing: error))"
        )
    }

    @Test func unknownFlagKeyIsRejected() {
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: [:], flags: [FlagOverride(key: "kafka.servers", value: "x", flag: "--set kafka.servers")])
        }
        #expect(error?.message.hasPrefix("unknown configuration key 'kafka.servers' in --set kafka.servers;") == true)
    }

    @Test func flagBeatsEnvironmentWhichBeatsFileWhichBeatsDefault() throws {
        let path = try temporaryFile("inmemory:\n  partitions: 5\n  maxMessageBytes: 1000\n  retentionMessagesPerPartition: 77\n")
        let environment = ["SWITCHYARD_INMEMORY_PARTITIONS": "6", "SWITCHYARD_INMEMORY_MAX_MESSAGE_BYTES": "2000"]
        let flags = [
            FlagOverride(key: "inmemory.partitions", value: "3", flag: "--set inmemory.partitions"),
            FlagOverride(key: "inmemory.partitions", value: "7", flag: "--set inmemory.partitions"),
        ]
        let resolved = try ConfigurationLoader.load(file: path, environment: environment, flags: flags)
        #expect(resolved.settings.inmemory.partitions == 7)
        #expect(resolved.settings.inmemory.maxMessageBytes == 2000)
        #expect(resolved.settings.inmemory.retentionMessagesPerPartition == 77)
        #expect(resolved.settings.inmemory.autoCreateTopics == true)
        let sources = Dictionary(uniqueKeysWithValues: resolved.entries.map { ($0.key, $0.source) })
        #expect(sources["inmemory.partitions"] == .flag("--set inmemory.partitions"))
        #expect(sources["inmemory.maxMessageBytes"] == .environment(variable: "SWITCHYARD_INMEMORY_MAX_MESSAGE_BYTES"))
        #expect(sources["inmemory.retentionMessagesPerPartition"] == .file(path: path))
        #expect(sources["inmemory.autoCreateTopics"] == .defaultValue)
    }

    @Test func camelCaseKeysMapToUnderscoredEnvironmentVariables() throws {
        #expect(SettingKey.named("kafka.bootstrapServers")?.environmentVariable == "SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS")
        #expect(
            SettingKey.named("inmemory.retentionMessagesPerPartition")?.environmentVariable
                == "SWITCHYARD_INMEMORY_RETENTION_MESSAGES_PER_PARTITION"
        )
        let resolved = try ConfigurationLoader.load(
            file: nil,
            environment: ["SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS": "a:9092, b:9093", "SWITCHYARD_DUAL_READ_FROM": "secondary"],
            flags: []
        )
        #expect(resolved.settings.kafka.bootstrapServers == ["a:9092", "b:9093"])
        #expect(resolved.settings.dual.readFrom == .secondary)
    }

    @Test func kafkaPropertiesComeFromEveryLayer() throws {
        let path = try temporaryFile(#"{"kafka": {"properties": {"client.id": "from-file", "acks": "all"}}}"#, extension: "json")
        let resolved = try ConfigurationLoader.load(
            file: path,
            environment: ["SWITCHYARD_KAFKA_PROPERTIES_SASL_USERNAME": "alice", "SWITCHYARD_KAFKA_PROPERTIES_CLIENT_ID": "from-env"],
            flags: [FlagOverride(key: "kafka.properties.acks", value: "1", flag: "--set kafka.properties.acks")]
        )
        #expect(resolved.settings.kafka.properties == ["client.id": "from-env", "acks": "1", "sasl.username": "alice"])
    }

    @Test func jsonFileWithNestedAndDottedKeysAndYAMLListsAreAccepted() throws {
        let json = try temporaryFile(#"{"backend": "inmemory", "inmemory": {"partitions": 8, "autoCreateTopics": false}}"#, extension: "json")
        let fromJSON = try ConfigurationLoader.load(file: json, environment: [:], flags: [])
        #expect(fromJSON.settings.inmemory.partitions == 8)
        #expect(fromJSON.settings.inmemory.autoCreateTopics == false)

        let yaml = try temporaryFile("kafka.bootstrapServers:\n  - one:9092\n  - two:9092\nrabbitmq:\n  queueType: stream\n")
        let fromYAML = try ConfigurationLoader.load(file: yaml, environment: [:], flags: [])
        #expect(fromYAML.settings.kafka.bootstrapServers == ["one:9092", "two:9092"])
        #expect(fromYAML.settings.rabbitmq.queueType == .stream)
    }

    @Test func malformedFileAndMissingFileAreClearErrors() throws {
        let malformed = try temporaryFile("backend: [unclosed\n")
        let parseError = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: malformed, environment: [:], flags: [])
        }
        #expect(parseError?.message.hasPrefix("Config file \(malformed) is not valid YAML or JSON") == true)

        let missingError = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: "/nonexistent/switchyard.yaml", environment: [:], flags: [])
        }
        #expect(missingError?.message.hasPrefix("Cannot read config file /nonexistent/switchyard.yaml") == true)
    }

    @Test func aKeySetBothDottedAndNestedIsRejected() throws {
        let path = try temporaryFile("inmemory.partitions: 2\ninmemory:\n  partitions: 3\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "Config file \(path) sets 'inmemory.partitions' more than once. Keep one of them.")
    }

    @Test(arguments: ["", " null", " ~"])
    func aKeyWithoutAValueIsRejectedRatherThanReadAsText(_ empty: String) throws {
        let path = try temporaryFile("kafka:\n  properties:\n    client.id:\(empty)\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "Config file \(path) gives no value for 'kafka.properties.client.id'. Set a value or remove the key.")
    }

    @Test func dualNeedsTwoDifferentSides() {
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHYARD_DUAL_SECONDARY": "rabbitmq"], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("dual.primary and dual.secondary are both 'rabbitmq'") == true)
        #expect(error?.message.contains("dual.secondary from SWITCHYARD_DUAL_SECONDARY") == true)
    }
}
