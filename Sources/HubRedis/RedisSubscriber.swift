import Foundation
import HubDriverSupport
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The thread behind a ``RedisSubscription``: one dedicated connection in subscribed mode.
///
/// The loop waits on the socket with `poll` in short slices so it notices ``stop()`` quickly,
/// reads with `redisBufferRead` and drains every reply already buffered before polling again (a
/// blocking `redisGetReply` would leave the context unusable after its timeout). When the
/// connection drops it reconnects with backoff and subscribes again; messages published while it
/// was disconnected are lost.
final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let channels: [String]
    private let patterns: [String]
    private let logger: Logger
    private let output: AsyncStream<RedisPubSubMessage>.Continuation
    private let stopRequested = Atomic<Bool>(false)

    /// How long one `poll` waits before the loop looks at the stop flag again.
    private static let pollSliceMilliseconds: Int32 = 100

    init(configuration: RedisConfiguration, channels: [String], patterns: [String], logger: Logger,
         output: AsyncStream<RedisPubSubMessage>.Continuation) {
        self.configuration = configuration
        self.channels = channels
        self.patterns = patterns
        self.logger = logger
        self.output = output
    }

    /// Starts the thread; `ready` is resumed once the first subscription is confirmed (or failed).
    func start(ready: CheckedContinuation<Void, any Error>) {
        let thread = Thread { [self] in run(ready: ready) }
        thread.name = "hub-redis-sub"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Asks the thread to close the connection and finish the message stream.
    func stop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    private var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    private func run(ready: CheckedContinuation<Void, any Error>) {
        var ready: CheckedContinuation<Void, any Error>? = ready
        var context: RedisContext?
        var backoff = Duration.milliseconds(50)
        while !isStopping {
            guard let live = context else {
                do {
                    context = try connectAndSubscribe()
                    if let waiting = ready {
                        waiting.resume()
                        ready = nil
                    } else {
                        logger.info("Redis subscription restored", metadata: ["redis": "\(configuration.redactedURL)"])
                    }
                    backoff = .milliseconds(50)
                } catch {
                    if let waiting = ready {
                        waiting.resume(throwing: error)
                        output.finish()
                        return
                    }
                    logger.warning("cannot restore Redis subscription; retrying", metadata: ["error": "\(error)"])
                    pause(backoff)
                    backoff = min(backoff * 2, .seconds(2))
                }
                continue
            }
            if SocketWait.readable(live.fd, timeoutMilliseconds: Self.pollSliceMilliseconds) == .timeout { continue }
            do throws(RedisError) {
                try live.fillReader()
                while let reply = try live.bufferedReply() { _ = deliver(reply) }
            } catch {
                logger.warning(
                    "Redis subscription connection lost; reconnecting (messages published meanwhile are lost)",
                    metadata: ["error": "\(error)"])
                context = nil
            }
        }
        context = nil  // closing the socket ends the subscription on the server
        ready?.resume(throwing: CancellationError())
        output.finish()
    }

    /// Connects, sends SUBSCRIBE/PSUBSCRIBE and waits until every channel and pattern is confirmed.
    private func connectAndSubscribe() throws(RedisError) -> RedisContext {
        let live = try RedisContext.connect(configuration)
        if !channels.isEmpty { try live.append(["SUBSCRIBE"] + channels.map { RedisArgument($0) }) }
        if !patterns.isEmpty { try live.append(["PSUBSCRIBE"] + patterns.map { RedisArgument($0) }) }
        try live.flush()
        var unconfirmed = channels.count + patterns.count
        let deadline = ContinuousClock.now + configuration.commandTimeout
        while unconfirmed > 0 {
            while unconfirmed > 0, let reply = try live.bufferedReply() {
                if case .error(let text) = reply { throw RedisError.serverReply(text, command: "SUBSCRIBE") }
                if deliver(reply) { unconfirmed -= 1 }
            }
            guard unconfirmed > 0 else { break }
            guard ContinuousClock.now < deadline else {
                throw RedisError(code: .timeout, message: "Redis at \(configuration.address) did not confirm the subscription in time")
            }
            if isStopping { throw RedisError(code: .connectionClosed, message: "the subscription was cancelled") }
            if SocketWait.readable(live.fd, timeoutMilliseconds: Self.pollSliceMilliseconds) != .timeout {
                try live.fillReader()
            }
        }
        return live
    }

    /// Yields a message to the stream; returns true when the reply was a subscribe confirmation.
    private func deliver(_ reply: RedisValue) -> Bool {
        switch RedisPubSubMessage.event(from: reply) {
        case .message(let message):
            if case .terminated = output.yield(message) { stop() }
            return false
        case .confirmation:
            return true
        case .other:
            return false
        }
    }

    /// Waits `duration` in short slices, returning early when asked to stop.
    private func pause(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < deadline {
            _ = poll(nil, 0, Self.pollSliceMilliseconds / 2)
        }
    }
}
