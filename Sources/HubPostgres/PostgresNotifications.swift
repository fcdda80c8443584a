import Foundation

/// A message received on a channel the program `LISTEN`s to.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel name.
    public var channel: String
    /// The payload given to `NOTIFY` / `pg_notify` (empty when none).
    public var payload: String
    /// The server process that sent it.
    public var processID: Int
}

/// Notifications from a dedicated `LISTEN` connection, as an `AsyncSequence`.
///
/// The connection lives as long as the sequence is being iterated or held; when iteration ends
/// (the task is cancelled, or the sequence is dropped) the connection is closed. If the connection
/// is lost, iteration throws `.connectionClosed`: notifications sent meanwhile are lost, so the
/// caller should re-read the state it tracks from the tables and listen again.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    let stream: AsyncThrowingStream<PostgresNotification, any Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<PostgresNotification, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}

extension PostgresPool {
    /// Opens a dedicated connection (not taken from the pool), `LISTEN`s on `channels`, and returns
    /// the notifications. Returns once the server has confirmed the `LISTEN`, so a `NOTIFY` sent
    /// after this call returns is delivered.
    public func listen(to channels: [String]) async throws -> PostgresNotifications {
        let connection = try await PostgresConnection.connect(configuration, threadName: "hub-pg-listen")
        for channel in channels {
            try await connection.query("LISTEN \(identifier: channel)")
        }
        let stop = AtomicFlag()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PostgresNotification.self, throwing: (any Error).self)
        continuation.onTermination = { _ in stop.value = true }
        Task {
            let error = await connection.runNotificationLoop(stop: stop) { continuation.yield($0) }
            continuation.finish(throwing: error)
        }
        return PostgresNotifications(stream: stream)
    }

    /// `LISTEN`s on `channels` for the duration of `body`; the connection closes when `body`
    /// returns (within the listener's 200 ms poll interval).
    public func withListener<T>(_ channels: [String], _ body: (PostgresNotifications) async throws -> T) async throws -> T {
        let notifications = try await listen(to: channels)
        return try await body(notifications)
    }
}
