import Foundation
import HTTPTypes
import HubCore
import Hummingbird

/// Refuses cross-site requests that a browser would send with the operator's cached Basic
/// credentials (cross-site request forgery):
///
/// - a request that changes state (POST, PUT, PATCH, DELETE) and carries a body must say
///   `Content-Type: application/json` (or `application/…+json`): a cross-site `<form>` can only
///   send `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`, and a
///   cross-site `fetch` with JSON needs a CORS preflight this server never grants (415
///   `UNSUPPORTED_MEDIA_TYPE`);
/// - a state-changing request or a WebSocket upgrade whose `Origin` header is present and is not
///   the server's own origin (the `Host` the request was sent to, or `X-Forwarded-Host` behind a
///   proxy), or whose `Sec-Fetch-Site` says `cross-site`/`same-site`, is refused with 403
///   `FORBIDDEN_ORIGIN`. Services (curl, hubctl, scripts) send no `Origin` and are unaffected.
///
/// It runs after ``AuthMiddleware``: a request without valid credentials is answered 401 first.
struct RequestOriginMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    /// The WebSocket route (its upgrade is a GET, checked for `Origin` too).
    let webSocketPath: String

    static let stateChanging: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let changes = Self.stateChanging.contains(request.method)
        guard changes || request.uri.path == webSocketPath else { return try await next(request, context) }
        try Self.checkOrigin(request)
        guard changes else { return try await next(request, context) }
        return try await next(try await Self.checkContentType(request, context: context), context)
    }

    static func checkOrigin(_ request: Request) throws {
        if let site = request.headers[fetchSite]?.lowercased(), site == "cross-site" || site == "same-site" {
            throw forbidden("the browser marked this request \(site) (Sec-Fetch-Site)", origin: request.headers[.origin])
        }
        guard let origin = request.headers[.origin] else { return }
        let own = [request.head.authority, request.headers[forwardedHost].flatMap {
            $0.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) }
        }].compactMap { $0 }
        guard let parsed = Self.originAuthority(origin),
              own.contains(where: { Self.sameAuthority(parsed, host: $0, ignoringPort: parsed.webSocket) }) else {
            throw forbidden("only this server's own pages may change something or open the live feed, not a page of origin \(origin) (this server was addressed as \(own.joined(separator: " or ")))",
                            origin: origin)
        }
    }

    /// The request when its body is JSON or absent; a client that sends no body may still frame
    /// the request as chunked (NIO does for a bodiless POST), so such a body is read to see.
    static func checkContentType(_ request: Request, context: Context) async throws -> Request {
        if let type = request.headers[.contentType] {
            let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json")) else {
                throw unsupported(type)
            }
            return request
        }
        if let length = request.headers[.contentLength] {
            guard (Int(length.trimmingCharacters(in: .whitespaces)) ?? 1) == 0 else { throw unsupported(nil) }
            return request
        }
        guard request.headers[.transferEncoding] != nil else { return request }
        var request = request
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes == 0 else { throw unsupported(nil) }
        request.body = .init(buffer: buffer)
        return request
    }

    static func unsupported(_ type: String?) -> APIError {
        APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
                 "a request body must be JSON: send Content-Type: application/json (this request has \(type.map { "'\($0)'" } ?? "none"))",
                 details: ["content_type": type.map { .string($0) } ?? .null])
    }

    static func forbidden(_ reason: String, origin: String?) -> APIError {
        APIError(.forbidden, code: "FORBIDDEN_ORIGIN", "cross-site request refused: \(reason)",
                 details: origin.map { ["origin": .string($0)] } ?? [:])
    }

    /// `(host, port)` of an origin such as `http://hub.local:8080`; nil for `null` or nonsense.
    /// `webSocket` marks a `ws:`/`wss:` origin: browsers always send their page's `http(s)` origin,
    /// so such an origin comes from a WebSocket library (swift-websocket sends `ws://host` without
    /// the port), and only its host is compared.
    static func originAuthority(_ origin: String) -> (host: String, port: Int, webSocket: Bool)? {
        guard let components = URLComponents(string: origin), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { return nil }
        let port = components.port ?? (scheme == "https" || scheme == "wss" ? 443 : 80)
        return (unbracket(host).lowercased(), port, scheme == "ws" || scheme == "wss")
    }

    /// Whether a `Host` value names the origin's host and port (a `Host` without a port matches
    /// the origin's default port: the scheme is not known behind a TLS proxy).
    static func sameAuthority(_ origin: (host: String, port: Int, webSocket: Bool), host value: String, ignoringPort: Bool) -> Bool {
        var text = value.trimmingCharacters(in: .whitespaces).lowercased()
        var port: Int?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return false }
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            port = Int(text[text.index(after: colon)...])
            text = String(text[..<colon])
        }
        guard text == origin.host else { return false }
        if ignoringPort { return true }
        return port.map { $0 == origin.port } ?? (origin.port == 80 || origin.port == 443)
    }

    static func unbracket(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
