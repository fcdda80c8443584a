import Hummingbird
import Synchronization

/// The methods each registered path answers, so that a known path asked with another method is
/// answered 405 with `Allow` (RFC 9110 §15.5.6) instead of the router's 404, which would say the
/// path does not exist. Filled once by ``HubServer/buildRouter()`` after the routes are added
/// (the middleware that uses it is added before them).
final class RouteMethods: Sendable {
    private struct Entry {
        /// The path's segments; a capture (`{name}`, or `:name`) matches any one segment, `*` any
        /// one, `**` the rest.
        var segments: [String]
        var method: String
    }

    private let entries = Mutex<[Entry]>([])

    /// Records the router's routes.
    func load(_ routes: [Router<HubRequestContext>.RouteDescription]) {
        let loaded = routes.map { route in
            Entry(segments: route.path.description.split(separator: "/").map(String.init), method: route.method.rawValue)
        }
        entries.withLock { $0 = loaded }
    }

    /// The methods registered for `path`, in the order of RFC 9110's list, empty for an unknown path.
    func allowed(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let methods = Set(entries.withLock { entries in
            entries.filter { Self.matches($0.segments, parts) }.map(\.method)
        })
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        return order.filter(methods.contains) + methods.subtracting(order).sorted()
    }

    private static func matches(_ pattern: [String], _ parts: [String]) -> Bool {
        var index = 0
        for segment in pattern {
            if segment == "**" { return true }
            guard index < parts.count else { return false }
            let capture = segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) || segment == "*"
            if !(capture || segment == parts[index]) { return false }
            index += 1
        }
        return index == parts.count
    }
}
