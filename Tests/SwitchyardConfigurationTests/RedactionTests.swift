import Switchyard
import Testing

@testable import SwitchyardConfiguration

@Suite struct RedactionTests {
    @Test func urlPasswordIsRedactedAndTheRestKept() {
        #expect(Redaction.redactURLPassword("amqp://user:pass@host:5672/vhost") == "amqp://user:<redacted>@host:5672/vhost")
        #expect(Redaction.redactURLPassword("amqps://u:p@ss@h/v") == "amqps://u:<redacted>@h/v")
        #expect(Redaction.redactURLPassword("amqp://user@host/vhost") == "amqp://user@host/vhost")
        #expect(Redaction.redactURLPassword("amqp://host:5672/vhost") == "amqp://host:5672/vhost")
    }

    @Test func aPasswordIsHiddenUpToTheLastAtSignWhateverItHoldsAndWithoutAScheme() {
        for password in ["pa/ss", "pa?ss", "pa#ss", "p@/?#s"] {
            #expect(Redaction.redactURLPassword("amqp://user:\(password)@host:5672/vhost") == "amqp://user:<redacted>@host:5672/vhost")
        }
        #expect(Redaction.redactURLPassword("guest:hunter2@rabbit") == "guest:<redacted>@rabbit")
        #expect(Redaction.redactURLPassword("amqp://host:5672/a@b") == "amqp://host:<redacted>@b")
    }

    @Test func everyPropertyLibrdkafkaMarksSensitiveIsSecret() {
        let sensitive = [
            "ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl.ca.pem", "ssl.keystore.password", "sasl.username",
            "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.assertion.private.key.passphrase", "sasl.oauthbearer.assertion.private.key.pem",
        ]
        for name in sensitive {
            #expect(Redaction.isSecretPropertyName(name), "\(name)")
            #expect(SettingKey.named("kafka.properties." + name)?.secrecy == .whole, "\(name)")
        }
        #expect(!Redaction.isSecretPropertyName("ssl.certificate.pem"))
    }

    @Test func propertiesNamedLikeCredentialsAreSecret() {
        #expect(Redaction.isSecretPropertyName("sasl.password"))
        #expect(Redaction.isSecretPropertyName("ssl.key.password"))
        #expect(Redaction.isSecretPropertyName("sasl.oauthbearer.client.secret"))
        #expect(Redaction.isSecretPropertyName("sasl.oauthbearer.token.endpoint.url"))
        #expect(Redaction.isSecretPropertyName("sasl.jaas.config"))
        #expect(!Redaction.isSecretPropertyName("sasl.mechanisms"))
        #expect(!Redaction.isSecretPropertyName("client.id"))
    }

    @Test func configShowRenderingHidesEverySecretFromEveryLayer() throws {
        let path = try temporaryFile("rabbitmq:\n  url: amqp://app:file-pass@rabbit:5672/prod\nkafka:\n  properties:\n    sasl.jaas.config: jaas-secret\n")
        let resolved = try ConfigurationLoader.load(
            file: path,
            environment: ["SWITCHYARD_KAFKA_PROPERTIES_SASL_PASSWORD": "env-pass"],
            flags: [
                FlagOverride(key: "kafka.properties.sasl.oauthbearer.token", value: "flag-token", flag: "--set kafka.properties.sasl.oauthbearer.token"),
                FlagOverride(key: "kafka.properties.sasl.mechanisms", value: "PLAIN", flag: "--set kafka.properties.sasl.mechanisms"),
            ]
        )
        let shown = resolved.rendered()
        for secret in ["file-pass", "jaas-secret", "env-pass", "flag-token"] {
            #expect(!shown.contains(secret))
            #expect(!resolved.settings.description.contains(secret))
        }
        let lines = shown.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        let byKey = Dictionary(uniqueKeysWithValues: lines.map { ($0[0], Array($0.dropFirst())) })
        #expect(byKey["rabbitmq.url"] == ["amqp://app:<redacted>@rabbit:5672/prod", "file", path])
        #expect(byKey["kafka.properties.sasl.jaas.config"] == ["<redacted>", "file", path])
        #expect(byKey["kafka.properties.sasl.password"] == ["<redacted>", "env", "SWITCHYARD_KAFKA_PROPERTIES_SASL_PASSWORD"])
        #expect(byKey["kafka.properties.sasl.oauthbearer.token"] == ["<redacted>", "flag", "--set", "kafka.properties.sasl.oauthbearer.token"])
        #expect(byKey["kafka.properties.sasl.mechanisms"] == ["PLAIN", "flag", "--set", "kafka.properties.sasl.mechanisms"])
        #expect(byKey["backend"] == ["inmemory", "default"])
        #expect(resolved.settings.rabbitmq.url == "amqp://app:file-pass@rabbit:5672/prod")
    }

    @Test func anInvalidSecretValueIsNeverEchoed() throws {
        for value in ["http://app:hunter2@rabbit/", "guest:hunter2@rabbit", "amqp://app:hunter2 @rabbit"] {
            let error = configurationError { () throws(SwitchyardError) in
                _ = try ConfigurationLoader.load(file: nil, environment: ["SWITCHYARD_RABBITMQ_URL": value], flags: [])
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(
                error?.message
                    == "invalid value (not shown: it may hold a secret) for rabbitmq.url in SWITCHYARD_RABBITMQ_URL; allowed: a URL starting with amqp:// or amqps://"
            )
        }
        let property = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: nil, environment: [:], flags: [FlagOverride(key: "rabbitmq.url", value: "hunter2", flag: "--set rabbitmq.url")])
        }
        #expect(property?.message.contains("hunter2") == false)
    }

    @Test func aSyntaxErrorInTheFileDoesNotQuoteTheLine() throws {
        let path = try temporaryFile("rabbitmq:\n  url: amqp://app:hunter2@rabbit/prod\n   bad: [\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("Config file \(path) is not valid YAML or JSON: ") == true)
        #expect(error?.message.contains("line 3") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func aKeyRepeatedInOneMappingIsNamedWithoutQuotingTheFile() throws {
        let path = try temporaryFile("rabbitmq:\n  url: amqp://app:hunter2@rabbit/prod\n  url: amqp://app:hunter3@rabbit/prod\n")
        let error = configurationError { () throws(SwitchyardError) in
            _ = try ConfigurationLoader.load(file: path, environment: [:], flags: [])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(
            error?.message
                == "Config file \(path) is not valid YAML or JSON: 'url' set more than once in one mapping at line 2, column 3. Fix the file."
        )
    }

    @Test func configShowHidesAPasswordHoldingSlashQuestionMarkOrHash() throws {
        let resolved = try ConfigurationLoader.load(
            file: nil,
            environment: ["SWITCHYARD_RABBITMQ_URL": "amqp://app:se/cr?et#1@rabbit:5672/prod"],
            flags: []
        )
        let shown = resolved.rendered()
        #expect(!shown.contains("se/cr") && !shown.contains("et#1"))
        #expect(shown.contains("amqp://app:<redacted>@rabbit:5672/prod"))
        #expect(!resolved.settings.description.contains("se/cr"))
    }
}
