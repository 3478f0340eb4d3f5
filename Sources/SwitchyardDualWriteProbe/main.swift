// Sends messages through a dual-write backend whose secondary is down, so every copy goes to the
// spool, and prints the id of each message whose send returned, one per line, as soon as it returns.
// The SIGKILL test kills it mid-write and checks that a new backend on the same spool replays every
// printed id.
//
// Usage: SwitchyardDualWriteProbe <spool-directory> <topic> <concurrent-senders>

import Switchyard
import SwitchyardInMemory
import SwitchyardMigration

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to `descriptor` with a single `write`, which a pipe keeps whole (it is shorter than
/// PIPE_BUF), so lines from concurrent senders never interleave and none waits in a buffer.
func writeLine(_ text: String, to descriptor: Int32) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let senders = Int(arguments[3]), senders > 0 else {
    writeLine("usage: SwitchyardDualWriteProbe <spool-directory> <topic> <concurrent-senders>", to: 2)
    exit(2)
}
let topic = arguments[2]
let secondary = InMemoryBackend()
secondary.stopBroker()
let dual = try await DualWriteBackend(
    primary: InMemoryBackend(),
    secondary: secondary,
    configuration: DualWriteBackend.Configuration(spoolDirectory: arguments[1])
)
let producer = try await dual.makeProducer()


await withTaskGroup(of: Void.self) { group in
    for sender in 0..<senders {
        group.addTask {
            var index = 0
            while true {
                let message = Message(key: "sender-\(sender)", payload: "message \(index) of sender \(sender)")
                do {
                    try await producer.send(message, to: topic)
                    writeLine(message.id, to: 1)
                } catch {
                    writeLine("send failed: \(error)", to: 2)
                    exit(1)
                }
                index += 1
            }
        }
    }
}
