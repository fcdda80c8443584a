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
    /// Where several patterns match, only the most specific counts, as the router picks it: a
    /// literal segment beats a capture (`/api/v1/players/search` before `/api/v1/players/{ref}`),
    /// so a method only the capture has is not allowed on the literal path.
    func allowed(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let methods = Set(entries.withLock { entries in
            let matching = entries.filter { Self.matches($0.segments, parts) }
            guard let best = matching.map({ Self.specificity($0.segments) }).max(by: { $0.lexicographicallyPrecedes($1) }) else { return [String]() }
            return matching.filter { Self.specificity($0.segments) == best }.map(\.method)
        })
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        return order.filter(methods.contains) + methods.subtracting(order).sorted()
    }

    /// Per segment: 2 for a literal, 1 for a capture or `*`, 0 for `**`.
    private static func specificity(_ pattern: [String]) -> [Int] {
        pattern.map { segment in
            if segment == "**" { return 0 }
            let capture = segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) || segment == "*"
            return capture ? 1 : 2
        }
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
