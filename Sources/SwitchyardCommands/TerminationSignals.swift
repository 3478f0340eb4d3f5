import UnixSignals

/// SIGINT (Ctrl-C) and SIGTERM: the first one received requests a stop. While a command waits for them,
/// they no longer end the process at once.
struct TerminationSignals: StopRequests {
    func wait() async {
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
            return
        }
    }
}
