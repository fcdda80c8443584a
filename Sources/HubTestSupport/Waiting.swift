import Foundation

/// A condition that did not become true before its deadline.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }

    public init(what: String, seconds: Double) {
        self.what = what
        self.seconds = seconds
    }
}

/// Polls `condition` until it returns true, backing off from 5 ms to 100 ms, or throws
/// ``WaitTimeout`` after `seconds`. Tests wait for conditions, never for a fixed time.
public func waitUntil(
    _ what: String,
    timeout seconds: Double = 10,
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    var pause = Duration.milliseconds(5)
    while true {
        if try await condition() { return }
        if ContinuousClock.now >= deadline { throw WaitTimeout(what: what, seconds: seconds) }
        try await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(100))
    }
}
