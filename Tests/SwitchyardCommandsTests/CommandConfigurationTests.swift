import ArgumentParser
import Switchyard
import SwitchyardCommands
import Testing

@Suite struct CommandConfigurationTests {
    @Test func unknownBackendFlagIsAClearError() async throws {
        do {
            try await ProduceCommand.parse(["--topic", "t", "--backend", "kafak"]).run(io: TestIO().io)
            Issue.record("Expected an error")
        } catch let error as SwitchyardError {
            #expect(error.code == .unknownBackend)
            #expect(error.message == "unknown backend 'kafak' in --backend; allowed: inmemory, kafka, rabbitmq, dual")
        }
    }

    @Test func aBackendNotInThisBuildIsUnsupported() async throws {
        do {
            try await ConsumeCommand.parse(["--topic", "t", "--timeout", "1"]).run(io: TestIO(environment: ["SWITCHYARD_BACKEND": "rabbitmq"]).io)
            Issue.record("Expected an error")
        } catch let error as SwitchyardError {
            #expect(error.code == .unsupported)
        }
    }

    @Test func badSetValueNamesKeyValueAndFlag() async throws {
        do {
            try await ProduceCommand.parse(["--topic", "t", "--set", "inmemory.autoCreateTopics=maybe"]).run(io: TestIO().io)
            Issue.record("Expected an error")
        } catch let error as SwitchyardError {
            #expect(error.message == "invalid value 'maybe' for inmemory.autoCreateTopics in --set inmemory.autoCreateTopics; allowed: true, false")
        }
    }

    @Test func configShowPrintsSourcesAndRedactsSecrets() throws {
        let test = TestIO(environment: [
            "SWITCHYARD_KAFKA_PROPERTIES_SASL_JAAS_CONFIG": "org.apache.kafka.common.security.plain.PlainLoginModule password=\"jaas-pw\";",
            "SWITCHYARD_LOG_LEVEL": "debug",
            "SWITCHYARD_GATEWAY_TOKENS": "env-token-secret=prices",
            "HOME": "/root",
        ])
        try ConfigShowCommand.parse(["--set", "rabbitmq.url=amqp://ops:flag-pw@rabbit:5672/%2F", "--backend", "inmemory"]).run(io: test.io)
        let shown = test.output.text
        #expect(!shown.contains("jaas-pw") && !shown.contains("flag-pw") && !shown.contains("env-token-secret"))
        let rows = shown.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["KEY", "VALUE", "SOURCE"])
        #expect(rows.contains(["backend", "inmemory", "flag", "--backend"]))
        #expect(rows.contains(["log.level", "debug", "env", "SWITCHYARD_LOG_LEVEL"]))
        #expect(rows.contains(["rabbitmq.url", "amqp://ops:<redacted>@rabbit:5672/%2F", "flag", "--set", "rabbitmq.url"]))
        #expect(rows.contains(["kafka.properties.sasl.jaas.config", "<redacted>", "env", "SWITCHYARD_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"]))
        #expect(rows.contains(["inmemory.partitions", "4", "default"]))
        #expect(rows.contains(["gateway.tokens", "<redacted>", "env", "SWITCHYARD_GATEWAY_TOKENS"]))
    }

    @Test func theGatewayTakesItsTokensFromTheSettingAndNamesABadEntryWithoutShowingIt() async throws {
        do {
            try await GatewayCommand.parse(["--listen", "127.0.0.1:0", "--set", "gateway.tokens=good-token=prices;leaked-token"]).run(io: TestIO().io)
            Issue.record("Expected an error")
        } catch let error as SwitchyardError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("gateway token entry 2 has no '='"), "\(error.message)")
            #expect(!error.description.contains("leaked-token") && !error.description.contains("good-token"))
        }
    }

    @Test func malformedSetAndBadOptionsAreRefusedAtParseTime() {
        #expect(throws: (any Error).self) { try ProduceCommand.parse(["--topic", "t", "--size", "10"]) }
        #expect(throws: (any Error).self) { try ProduceCommand.parse(["--topic", "t", "--header", "message-id=x"]) }
        #expect(throws: (any Error).self) { try ConsumeCommand.parse(["--topic", "t", "--format", "xml"]) }
        #expect(throws: (any Error).self) { try ConsumeCommand.parse(["--topic", "t", "--timeout", "0"]) }
        #expect(throws: SwitchyardError.self) { try GlobalOptions.parse(["--set", "novalue"]).resolve(environment: [:]) }
    }

    @Test func theRootCommandRoutesToEverySubcommand() throws {
        #expect(try SwitchyardCommand.parseAsRoot(["produce", "--topic", "t"]) is ProduceCommand)
        #expect(try SwitchyardCommand.parseAsRoot(["consume", "--topic", "t"]) is ConsumeCommand)
        #expect(try SwitchyardCommand.parseAsRoot(["config", "show"]) is ConfigShowCommand)
        let names = SwitchyardCommand.configuration.subcommands.map { $0.configuration.commandName }
        #expect(names == ["produce", "consume", "config", "demo", "bench", "compare", "kafka-mock", "migrate", "gateway", "subscribe", "contract"])
        #expect(try SwitchyardCommand.parseAsRoot(["gateway", "--listen", "127.0.0.1:0"]) is GatewayCommand)
        #expect(try SwitchyardCommand.parseAsRoot(["subscribe", "--topic", "prices", "--key", "BTC-USD"]) is SubscribeCommand)
        #expect(throws: (any Error).self) { try GatewayCommand.parse(["--tls-cert", "cert.pem"]) }
        #expect(try SwitchyardCommand.parseAsRoot(["migrate", "rehearse", "--phase-seconds", "2"]) is RehearseCommand)
    }

    @Test func setAndHeaderSplitAtTheFirstEqualsSignAndNeverEchoAValue() throws {
        let resolved = try GlobalOptions.parse(["--set", "kafka.properties.sasl.password=a=b"]).resolve(environment: [:])
        #expect(resolved.settings.kafka.properties["sasl.password"] == "a=b")
        let noName = try GlobalOptions.parse(["--set", "=hunter2"])
        do {
            _ = try noName.resolve(environment: [:])
            Issue.record("Expected an error")
        } catch {
            #expect(error.message == "--set needs a name before '=', as in --set key=value, e.g. --set inmemory.partitions=8.")
        }
        do {
            _ = try ProduceCommand.parse(["--topic", "t", "--header", "=hunter2"])
            Issue.record("Expected an error")
        } catch {
            let message = ProduceCommand.message(for: error)
            #expect(message.contains("--header needs a name before '=', as in --header name=value."))
            #expect(!message.contains("hunter2"))
        }
    }

    @Test func commandsReadSettingsFromTheirOwnEnvironment() async throws {
        let resolved = try GlobalOptions.parse([]).resolve(environment: ["SWITCHYARD_LOG_LEVEL": "debug"])
        #expect(resolved.settings.log.level == .debug)
        let test = TestIO(environment: ["SWITCHYARD_LOG_LEVEL": "debug"])
        try await ProduceCommand.parse(["--topic", uniqueTopic("env"), "--count", "1"]).run(io: test.io)
        #expect(test.errors.text.contains("debug: Effective configuration"))
    }
}
