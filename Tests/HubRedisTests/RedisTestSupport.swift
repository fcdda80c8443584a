import Foundation
import HubRedis
import HubTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers for the Redis integration tests.
enum RedisTestSupport {
    /// The shared instance ordinary tests use.
    static let sharedInstance = TestServices.sharedInstance
    /// The instance whose Redis the restart/stop tests bounce; nothing else uses it.
    static let restartInstance = "redis-restart"

    /// A client for `instance`'s Redis (starting the instance if needed).
    static func client(instance: String = sharedInstance, poolSize: Int = 4) async throws -> RedisClient {
        var configuration = try RedisConfiguration(url: await TestServices.endpoints(instance: instance).redisURL)
        configuration.poolSize = poolSize
        return RedisClient(configuration: configuration)
    }

    /// A key, stream or channel name no other test uses.
    static func unique(_ prefix: String) -> String {
        "hubtest:\(prefix):\(UUID().uuidString.prefix(13).lowercased())"
    }

    /// The server-side ID of the one connection of a client created with `poolSize: 1`.
    static func connectionID(of client: RedisClient) async throws -> Int64 {
        guard let id = try await client.send("CLIENT", "ID").int else { throw RedisError(code: .unexpectedReply, message: "CLIENT ID") }
        return id
    }

    /// Waits until the server reports connection `id` as blocked (flag `b` in `CLIENT LIST`).
    static func waitUntilBlocked(connection id: Int64, observer: RedisClient) async throws {
        try await waitUntil("connection \(id) to block on the server") {
            let line = try await observer.send("CLIENT", "LIST", "ID", RedisArgument(id)).string ?? ""
            return line.split(separator: " ").contains { $0.hasPrefix("flags=") && $0.contains("b") }
        }
    }

    /// Every byte value plus the sequences RESP must not be confused by.
    static let awkwardBytes: [UInt8] = [0, 13, 10, 0, 13, 10, 36, 45, 42] + Array(0...255) + [13, 10, 0]

    /// A TCP port on 127.0.0.1 where nothing listens (bound once by the kernel, then released).
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Collects what a background consumer received, for `waitUntil` checks.
final class Received<Element: Sendable>: Sendable {
    private let box = LockedBox<[Element]>([])

    /// Records one element.
    func append(_ element: Element) { box.withLock { $0.append(element) } }
    /// Everything recorded so far.
    var all: [Element] { box.withLock { $0 } }
}
