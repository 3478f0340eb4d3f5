import DequeModule
import Switchyard

/// One partition: an append-only sequence of messages with offsets, bounded by retention.
struct PartitionLog {
    /// The offset of the oldest retained message.
    private(set) var startOffset: Int64 = 0
    private(set) var messages: Deque<Message> = []

    /// The offset the next appended message gets.
    var endOffset: Int64 { startOffset + Int64(messages.count) }

    /// Appends and returns the new message's offset, dropping the oldest beyond `retention`.
    mutating func append(_ message: Message, retention: Int) -> Int64 {
        let offset = endOffset
        messages.append(message)
        if messages.count > retention {
            messages.removeFirst()
            startOffset += 1
        }
        return offset
    }

    func message(at offset: Int64) -> Message? {
        guard offset >= startOffset, offset < endOffset else { return nil }
        return messages[Int(offset - startOffset)]
    }

    /// The first offset whose message was published at or after `microseconds`, or the end offset.
    func firstOffset(publishedAtOrAfter microseconds: Int64) -> Int64 {
        for (index, message) in messages.enumerated() where (message.publishedAt ?? 0) >= microseconds {
            return startOffset + Int64(index)
        }
        return endOffset
    }
}
