import Logging
import Switchyard

/// Sends what `produce` reads or generates, in batches, and counts the outcome. When its task is
/// cancelled it stops reading and generating, and returns what it counted.
struct ProduceSender: Sendable {
    /// The most payload bytes one generated batch holds, whatever `--batch-size` says.
    static let generatedBatchBytes = 64 * 1024 * 1024

    let topic: String
    let template: Message
    let producer: Producer
    let logger: Logger
    let batchSize: Int

    func sendGenerated(count: Int, size: Int) async -> SendTally {
        var tally = SendTally(topic: topic)
        let perBatch = min(batchSize, max(1, Self.generatedBatchBytes / max(size, 1)))
        var sent = 0
        while sent < count, !Task.isCancelled {
            let batch = (sent..<sent + min(perBatch, count - sent)).map { template.with(payload: GeneratedPayload.make(index: $0, size: size)) }
            await send(batch, tally: &tally)
            sent += batch.count
        }
        return tally
    }

    /// Sends each line as a payload; a line longer than `payloadLimit` is counted as failed, named by its
    /// line number, and the lines after it are still sent.
    func sendLines(from reader: LineReader, limits: BackendLimits, payloadLimit: Int) async throws -> SendTally {
        var reader = reader
        var tally = SendTally(topic: topic)
        do {
            while let lines = try await reader.nextLines(maxLines: batchSize) {
                var batch: [Message] = []
                for line in lines {
                    switch line {
                    case .complete(let payload):
                        batch.append(template.with(payload: payload))
                    case .tooLong(let number, let length):
                        await send(batch, tally: &tally)
                        batch = []
                        let error = SwitchyardError(
                            .messageTooLarge,
                            "Line \(number) has \(length) bytes, more than the \(payloadLimit) payload bytes a message can have here (\(limits.maxMessageBytes) bytes per message, key and headers included); it was not sent. Split the line, or raise \(limits.maxMessageBytesKey)."
                        )
                        tally.recordUnsent(1, error: error, logger: logger)
                    }
                }
                await send(batch, tally: &tally)
            }
        } catch is CancellationError {
            logger.debug("Stopped reading input on request", metadata: ["topic": "\(topic)"])
        }
        return tally
    }

    /// Sends a batch and counts the outcome. A batch refused as a whole (one invalid message refuses
    /// all) is retried one message at a time, so only the messages that fail are counted as failed.
    private func send(_ batch: [Message], tally: inout SendTally) async {
        guard !batch.isEmpty else { return }
        do {
            if batch.count == 1 {
                try await producer.send(batch[0], to: topic)
            } else {
                try await producer.send(batch, to: topic)
            }
            tally.recordAcked(batch)
        } catch where error.code == .partialBatch {
            tally.recordFailure(batch, unacknowledged: Set(error.unacknowledgedMessageIDs), error: error, logger: logger)
        } catch where batch.count > 1 {
            for message in batch {
                await send([message], tally: &tally)
            }
        } catch {
            tally.recordFailure(batch, unacknowledged: Set(batch.map(\.id)), error: error, logger: logger)
        }
    }
}

extension Message {
    /// A copy with a fresh id and the given payload.
    fileprivate func with(payload: [UInt8]) -> Message {
        Message(key: key, payload: payload, headers: headers)
    }
}
