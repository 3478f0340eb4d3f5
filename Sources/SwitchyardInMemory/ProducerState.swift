import Switchyard
import Synchronization

/// Whether an in-memory producer driver is still open.
final class ProducerState: Sendable {
    private let closed = Atomic<Bool>(false)

    func checkOpen() throws(SwitchyardError) {
        if closed.load(ordering: .acquiring) {
            throw SwitchyardError(.producerClosed, "The producer is closed. Create a new producer to send more messages.")
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
    }
}
