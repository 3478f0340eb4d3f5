import Switchyard

/// Appends to the in-memory logs. A send is durable, in this backend's terms, once it is appended.
struct InMemoryProducerDriver: ProducerDriver {
    let backend: InMemoryBackend
    private let state = ProducerState()

    init(backend: InMemoryBackend) {
        self.backend = backend
    }

    func send(_ message: Message, to topic: String) async throws(SwitchyardError) -> DeliveryPosition {
        try state.checkOpen()
        try backend.checkAvailable()
        return try backend.existingOrAutoCreated(topic).append(message)
    }

    func send(_ messages: [Message], to topic: String) async throws(SwitchyardError) -> [DeliveryPosition] {
        do {
            try state.checkOpen()
            try backend.checkAvailable()
            return try backend.existingOrAutoCreated(topic).append(messages)
        } catch {
            throw .partialBatch(unacknowledgedMessageIDs: messages.map(\.id), of: messages.count, firstFailure: error)
        }
    }

    /// Appends complete before `send` returns, so there is never anything to flush.
    func flush() async throws(SwitchyardError) {}

    func close() async throws(SwitchyardError) {
        state.close()
    }
}
