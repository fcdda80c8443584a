import CHiredis
import HubDriverSupport
import Logging

/// One connection to Redis, owned by an actor that runs on its own OS thread.
///
/// All hiredis calls block, so they run on the connection's ``ThreadExecutor`` and never on
/// Swift's cooperative pool. A connection heals itself: a socket the server closed while idle (a
/// Redis restart) is noticed before the next command and replaced; after an I/O error in the
/// middle of a command the call throws ``RedisError/Code/connectionClosed`` and the next call
/// reconnects. Obtain one with ``RedisClient/withConnection(_:)``; do not keep it past
/// the closure.
public actor RedisConnection: PooledConnection {
    /// The connection's own thread.
    public nonisolated let executor: ThreadExecutor
    /// Runs the actor on that thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The configuration this connection was made with.
    public nonisolated let configuration: RedisConfiguration
    private let logger: Logger
    private let interrupter = SocketInterrupter()
    private var context: RedisContext?
    private var everConnected = false
    private var lastCommandStart = ContinuousClock.now
    /// Connections used more recently than this skip the closed-while-idle check.
    private static let idleCheckInterval = Duration.milliseconds(1)
    private var isClosed = false

    init(configuration: RedisConfiguration, logger: Logger, name: String) {
        self.configuration = configuration
        self.logger = logger
        self.executor = ThreadExecutor(name: name)
    }

    deinit { executor.shutdown() }

    /// Sends one command and returns its reply.
    /// - Throws: ``RedisError``: `.server` (with ``RedisError/serverErrorPrefix``) for an error
    ///   reply, `.connectionClosed`, `.timeout`, `.connectionFailed` when reconnecting fails.
    public func send(_ arguments: [RedisArgument]) throws -> RedisValue {
        let context = try usableContext()
        let reply: RedisValue
        do throws(RedisError) {
            reply = try context.command(arguments)
        } catch {
            discard(after: error)
            throw error
        }
        if case .error(let text) = reply { throw RedisError.serverReply(text, command: arguments.first) }
        return reply
    }

    /// Sends a command that blocks on the server (`XREADGROUP … BLOCK`, `BLPOP`, …).
    ///
    /// The socket timeout is raised to `block` plus the command timeout for this call (`.zero`
    /// waits forever). Cancelling the calling task shuts the socket down so the call returns at
    /// once with `CancellationError`; the connection is then replaced on its next use.
    public func send(_ arguments: [RedisArgument], blockingFor block: Duration) async throws -> RedisValue {
        try Task.checkCancellation()
        let context = try usableContext()
        context.setTimeout(block == .zero ? nil : block + configuration.commandTimeout)
        interrupter.arm(context.fd)
        // The read goes through an isolated method, so it certainly runs on this connection's
        // thread and never blocks a thread of the cooperative pool.
        let result = await withTaskCancellationHandler {
            self.blockingCommand(arguments)
        } onCancel: { [interrupter] in
            interrupter.interrupt()
        }
        let interrupted = interrupter.disarm()
        if interrupted {
            // The socket was shut down (maybe just after the reply arrived): never reuse it.
            self.context = nil
            if case .success(let reply) = result, reply.errorMessage == nil { return reply }
            throw CancellationError()
        }
        switch result {
        case .success(.error(let text)):
            context.setTimeout(configuration.commandTimeout)
            throw RedisError.serverReply(text, command: arguments.first)
        case .success(let reply):
            context.setTimeout(configuration.commandTimeout)
            return reply
        case .failure(let error):
            discard(after: error)
            throw error
        }
    }

    private func blockingCommand(_ arguments: [RedisArgument]) -> Result<RedisValue, RedisError> {
        guard let context else {
            return .failure(RedisError(code: .connectionClosed, message: "the Redis connection was lost before the command was sent"))
        }
        do throws(RedisError) {
            return .success(try context.command(arguments))
        } catch {
            return .failure(error)
        }
    }

    /// Sends all `commands` in one write and reads all replies, in order.
    ///
    /// Error replies are returned as ``RedisValue/error(_:)`` values, not thrown, so one failing
    /// command does not hide the others' results.
    /// - Throws: ``RedisError`` when the connection fails; then it is unknown which commands ran.
    public func pipeline(_ commands: [[RedisArgument]]) throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        // Checked up front: a command rejected halfway would leave the earlier ones in the
        // output buffer and shift every later reply.
        guard !commands.contains(where: \.isEmpty) else {
            throw RedisError(code: .invalidCommand, message: "cannot send an empty Redis command")
        }
        let context = try usableContext()
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        do throws(RedisError) {
            for command in commands { try context.append(command) }
            for _ in commands { replies.append(try context.readReply()) }
        } catch {
            discard(after: error)
            throw error
        }
        return replies
    }

    /// Runs `body` on the connection's own thread with the connection isolated, so the commands
    /// it sends cost no executor hop each (see ``RedisClient/withIsolatedConnection(_:)``).
    public func run<Result: Sendable>(_ body: @Sendable (isolated RedisConnection) throws -> Result) rethrows -> Result {
        try body(self)
    }

    /// Closes the socket; later calls fail with `.poolClosed`. The thread stops when the
    /// connection is freed (an affinity loop may still be running on it).
    func close() {
        isClosed = true
        context = nil
    }

    /// The live context, reconnecting first if there is none or the server closed it while idle.
    private func usableContext() throws(RedisError) -> RedisContext {
        let now = ContinuousClock.now
        defer { lastCommandStart = now }
        if let context {
            // In a burst of commands the server cannot have closed the socket "while idle"; the
            // poll(2) is skipped then, which keeps it off the hot path.
            if now - lastCommandStart < Self.idleCheckInterval { return context }
            // An idle connection has nothing to read; readable means EOF (server closed or
            // restarted) or garbage. Either way it cannot be trusted for the next reply.
            if SocketWait.readable(context.fd, timeoutMilliseconds: 0) == .timeout { return context }
            logger.info("Redis closed an idle connection; reconnecting", metadata: ["redis": "\(configuration.redactedURL)"])
            self.context = nil
        }
        if isClosed {
            throw RedisError(code: .poolClosed, message: "the Redis connection is closed")
        }
        let fresh = try RedisContext.connect(configuration)
        if everConnected {
            logger.info("reconnected to Redis", metadata: ["redis": "\(configuration.redactedURL)"])
        }
        everConnected = true
        context = fresh
        return fresh
    }

    private func discard(after error: RedisError) {
        // Only an error reply leaves a context usable, and those are not thrown by RedisContext.
        if error.code != .invalidCommand { context = nil }
        logger.debug("dropping Redis connection after an error", metadata: ["error": "\(error)"])
    }
}
