import Glibc
import Logging
import Switchyard

/// One AMQP connection and the dedicated thread that owns it.
///
/// rabbitmq-c is not thread-safe, so the session is touched only by the owner thread: it connects,
/// runs submitted jobs, writes waiting work, reads frames, sends heartbeats and reconnects with
/// backoff. Swift callers submit jobs and await continuations that the thread resumes, so no blocking
/// call ever runs on the cooperative pool.
final class ConnectionOwner<Role: ConnectionRole>: Sendable {
    /// Work run on the owner thread with the role and the session, which is `nil` while reconnecting.
    /// A failure that breaks the session makes the owner reconnect.
    typealias Job = @Sendable (Role, AMQPSession?) throws(AMQPFailure) -> Void

    private struct Inbox {
        var jobs: [Job] = []
        var stopping = false
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let endpoint: RabbitMQEndpoint
    private let settings: ConnectionSettings
    private let logger: Logger
    private let inbox = LockedValue(Inbox())
    private let wake: WakePipe

    private init(endpoint: RabbitMQEndpoint, settings: ConnectionSettings, logger: Logger, wake: WakePipe) {
        self.endpoint = endpoint
        self.settings = settings
        self.logger = logger
        self.wake = wake
    }

    /// Starts the owner thread and returns once its first connection is ready.
    ///
    /// - Parameter makeRole: creates the role on the owner thread.
    /// - Throws: the first connection's failure, such as ``SwitchyardError/Code/brokerUnavailable`` or
    ///   ``SwitchyardError/Code/authenticationFailed``; the thread has ended by then.
    static func start(
        endpoint: RabbitMQEndpoint,
        settings: ConnectionSettings,
        logger: Logger,
        makeRole: @escaping @Sendable () -> Role
    ) async throws(SwitchyardError) -> ConnectionOwner {
        guard let wake = WakePipe() else {
            throw SwitchyardError(.internalError, "Could not create a pipe for the RabbitMQ connection thread; the process is out of file descriptors.")
        }
        let owner = ConnectionOwner(endpoint: endpoint, settings: settings, logger: logger, wake: wake)
        let started: Result<Void, SwitchyardError> = await withCheckedContinuation { continuation in
            do throws(SwitchyardError) {
                try DedicatedThread(name: "rabbitmq-owner").start {
                    owner.run(role: makeRole(), started: continuation)
                }
            } catch {
                wake.close()
                continuation.resume(returning: .failure(error))
            }
        }
        try started.get()
        return owner
    }

    /// Queues `job` for the owner thread. Returns `false`, without running it, once the owner is
    /// stopping.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.jobs.append(job)
            // Jobs queued before this one have signalled already, and the owner takes every job at
            // once, so only the first job of a batch needs to wake it (one write per batch, not per
            // job). Signalled under the lock: the pipe is closed only after `finished` is set under it.
            if inbox.jobs.count == 1 { wake.signal() }
            return true
        }
    }

    /// Runs `body` on the owner thread with a connected session and returns its result.
    ///
    /// Fails with ``SwitchyardError/Code/brokerUnavailable`` while reconnecting, and with `closed`
    /// once the owner is stopping.
    func perform<T: Sendable>(
        closed: SwitchyardError,
        _ body: @escaping @Sendable (Role, AMQPSession) throws(AMQPFailure) -> T
    ) async throws(SwitchyardError) -> T {
        let endpoint = self.endpoint
        let result: Result<T, SwitchyardError> = await withCheckedContinuation { continuation in
            let accepted = submit { role, session throws(AMQPFailure) in
                guard let session else {
                    continuation.resume(returning: .failure(SwitchyardError(
                        .brokerUnavailable, "The connection to RabbitMQ at \(endpoint) is being re-established. Retry shortly."
                    )))
                    return
                }
                do throws(AMQPFailure) {
                    continuation.resume(returning: .success(try body(role, session)))
                } catch {
                    continuation.resume(returning: .failure(error.error))
                    throw error
                }
            }
            if !accepted { continuation.resume(returning: .failure(closed)) }
        }
        return try result.get()
    }

    /// Stops the owner: jobs already queued run, the role fails what is left, the connection closes
    /// (the broker requeues unacknowledged deliveries), and the thread ends. Returns when it has.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = inbox.withLock { inbox in
                inbox.stopping = true
                if inbox.finished { return true }
                inbox.finishWaiters.append(continuation)
                wake.signal()
                return false
            }
            if finished { continuation.resume() }
        }
    }

    /// Asks the owner to stop without waiting for it, for a driver released without being closed.
    /// Its thread then closes the connection and ends, so an abandoned driver leaks no thread.
    func requestStop() {
        inbox.withLock { inbox in
            guard !inbox.stopping else { return }
            inbox.stopping = true
            wake.signal()
        }
    }

    // MARK: The owner thread

    private func run(role: Role, started: CheckedContinuation<Result<Void, SwitchyardError>, Never>) {
        var session: AMQPSession?
        do {
            session = try connect(role)
        } catch {
            finish()
            started.resume(returning: .failure(error.error))
            return
        }
        started.resume(returning: .success(()))
        logger.debug("Connected to RabbitMQ", metadata: ["endpoint": "\(endpoint)"])

        var delay = settings.reconnectDelay.lowerBound
        var nextAttempt = ContinuousClock.now
        var moreInput = false
        while true {
            let (jobs, stopping) = inbox.withLock { inbox in
                defer { inbox.jobs = [] }
                return (inbox.jobs, inbox.stopping)
            }
            for job in jobs {
                do {
                    try job(role, session)
                } catch where error.breaksSession {
                    drop(&session, role: role, because: error)
                    nextAttempt = .now
                } catch {
                    continue
                }
            }
            if stopping { break }

            let now = ContinuousClock.now
            role.expire(now: now)
            if session == nil, now >= nextAttempt {
                do {
                    session = try connect(role)
                    delay = settings.reconnectDelay.lowerBound
                    logger.info("Reconnected to RabbitMQ", metadata: ["endpoint": "\(endpoint)"])
                } catch {
                    nextAttempt = now + delay
                    logger.warning("Reconnecting to RabbitMQ failed; retrying", metadata: ["endpoint": "\(endpoint)", "error": "\(error.error)", "retry-in": "\(delay)"])
                    delay = min(delay * 2, settings.reconnectDelay.upperBound)
                }
            }
            moreInput = false
            if let active = session {
                do {
                    try role.pump(active)
                    var handled = 0
                    while handled < 512, let event = try active.nextEvent() {
                        try role.handle(event, on: active)
                        handled += 1
                    }
                    moreInput = handled == 512
                    try role.pump(active)
                    try active.keepAlive(now: .now)
                    active.releaseBuffers()
                } catch {
                    drop(&session, role: role, because: error)
                    nextAttempt = .now + delay
                }
            }
            if !moreInput {
                wait(session: session, until: [role.nextDeadline, session?.nextHeartbeat, session == nil ? nextAttempt : nil].compactMap { $0 }.min())
            }
        }
        role.stop(session)
        session?.close()
        finish()
    }

    private func connect(_ role: Role) throws(AMQPFailure) -> AMQPSession {
        let session = try AMQPSession(endpoint: endpoint, settings: settings)
        do {
            try role.attach(session)
        } catch {
            session.close()
            throw error
        }
        return session
    }

    private func drop(_ session: inout AMQPSession?, role: Role, because failure: AMQPFailure) {
        logger.warning("Lost the RabbitMQ connection; reconnecting", metadata: ["endpoint": "\(endpoint)", "error": "\(failure.error)"])
        session?.abandon()
        session = nil
        role.detach(because: failure)
    }

    /// Sleeps in `poll` until a job is queued, the socket has input, or `deadline` passes (at most a
    /// second, so deadlines stay fresh).
    private func wait(session: AMQPSession?, until deadline: ContinuousClock.Instant?) {
        var timeout = Duration.seconds(1)
        if let deadline {
            timeout = max(.zero, min(timeout, deadline - .now))
        }
        let milliseconds = Int32(timeout.wholeMilliseconds)
        var descriptors = [pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
        if let session {
            descriptors.append(pollfd(fd: session.socket, events: Int16(POLLIN), revents: 0))
        }
        let ready = poll(&descriptors, nfds_t(descriptors.count), max(milliseconds, 0))
        guard ready > 0 else { return }
        if descriptors[0].revents != 0 { wake.drain() }
        if descriptors.count > 1, descriptors[1].revents != 0 { session?.heardFromBroker() }
    }

    private func finish() {
        let waiters = inbox.withLock { inbox in
            inbox.stopping = true
            inbox.finished = true
            defer { inbox.finishWaiters = [] }
            return inbox.finishWaiters
        }
        wake.close()
        for waiter in waiters { waiter.resume() }
    }
}
