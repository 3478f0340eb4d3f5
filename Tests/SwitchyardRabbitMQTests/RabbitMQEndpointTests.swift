import Switchyard
import SwitchyardRabbitMQ
import Testing

struct RabbitMQEndpointTests {
    @Test func aFullURLGivesEveryPart() throws {
        let endpoint = try RabbitMQEndpoint(url: "amqp://alice:s3cret@broker.example:5673/prices")
        #expect(!endpoint.usesTLS)
        #expect(endpoint.host == "broker.example")
        #expect(endpoint.port == 5673)
        #expect(endpoint.user == "alice")
        #expect(endpoint.virtualHost == "prices")
    }

    @Test func missingPartsTakeTheAMQPDefaults() throws {
        let plain = try RabbitMQEndpoint(url: "amqp://localhost")
        #expect(plain.port == 5672 && plain.user == "guest" && plain.virtualHost == "/")
        let tls = try RabbitMQEndpoint(url: "amqps://localhost/")
        #expect(tls.usesTLS && tls.port == 5671 && tls.virtualHost == "/")
    }

    @Test func percentEscapesAreDecoded() throws {
        let endpoint = try RabbitMQEndpoint(url: "amqp://us%40er:p%3Ass@[::1]:5672/%2Fteam")
        #expect(endpoint.user == "us@er")
        #expect(endpoint.host == "::1")
        #expect(endpoint.virtualHost == "/team")
    }

    @Test func theDescriptionNeverShowsThePassword() throws {
        let endpoint = try RabbitMQEndpoint(url: "amqps://alice:s3cret@broker.example/prices")
        #expect(!endpoint.description.contains("s3cret"))
        #expect(endpoint.description == "amqps://alice:***@broker.example:5671/prices")
        let configuration = RabbitMQBackend.Configuration(endpoint: endpoint)
        #expect(!"\(configuration)".contains("s3cret"))
    }

    @Test(arguments: ["http://alice:s3cret@host/", "amqp://alice:s3cret@host:99999/", "amqp://alice:s3cret@/", "amqp://alice:s3cret@host/?heartbeat=5", "amqp://alice:s3cret@host/%zz"])
    func aBadURLIsAnInvalidConfigurationThatHidesThePassword(_ url: String) {
        #expect {
            _ = try RabbitMQEndpoint(url: url)
        } throws: { error in
            guard let error = error as? SwitchyardError else { return false }
            return error.code == .invalidConfiguration && !error.message.contains("s3cret")
        }
    }
}
