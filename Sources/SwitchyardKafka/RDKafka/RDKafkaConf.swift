import CRdKafka
import Switchyard

/// Builds librdkafka configuration objects.
enum RDKafkaConf {
    /// A new `rd_kafka_conf_t` holding `properties`, applied in order, so later ones win.
    ///
    /// Errors name the property but never its value, which may be a secret.
    static func make(_ properties: [(String, String)]) throws(SwitchyardError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw SwitchyardError(.internalError, "librdkafka could not allocate a configuration object.")
        }
        var buffer = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &buffer, buffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw SwitchyardError(
                    .invalidConfiguration,
                    "The librdkafka property '\(name)' was refused: \(reason). Fix or remove it in kafka.properties."
                )
            }
        }
        return conf
    }

    /// Creates a client handle of `type` from `conf`. librdkafka owns `conf` on success; on failure it is
    /// destroyed here.
    static func makeHandle(_ type: rd_kafka_type_t, conf: OpaquePointer, what: String) throws(SwitchyardError) -> OpaquePointer {
        var buffer = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &buffer, buffer.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw SwitchyardError(.invalidConfiguration, "librdkafka could not create the \(what): \(reason). Check kafka.properties.")
        }
        return handle
    }
}
