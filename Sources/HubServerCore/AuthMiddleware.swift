import HTTPTypes
import HubCore
import Hummingbird
import HummingbirdAuth
import Logging

/// Requires credentials on every route but the public ones (`/api/health`), WebSocket upgrades
/// included (they pass through the same router): Basic Auth for the dashboard account, an
/// `X-API-Key` header for services, or a dashboard session token (`Authorization: Bearer`, or
/// `?token=` on the WebSocket route, which browsers cannot give headers).
///
/// Wrong credentials count against the client's address (``FailureThrottle``); a request with no
/// credentials at all is a challenge, not a guess, and does not count. An address that failed too
/// often gets 429 with `Retry-After`, whatever it sends, until its window passes.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    let credentials: ServerCredentials
    let tokens: SessionTokens
    let throttle: FailureThrottle
    /// Paths answered without credentials.
    let publicPaths: Set<String>
    /// The only path that accepts `?token=`.
    let tokenQueryPath: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        let address = context.clientAddress
        if let wait = throttle.retryAfter(address) {
            let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
            throw APIError(.tooManyRequests, code: "TOO_MANY_REQUESTS",
                           "too many failed sign-ins from this address; try again in \(seconds) s",
                           details: ["retry_after_seconds": .integer(Int64(seconds))],
                           headers: [.retryAfter: String(seconds)])
        }
        switch authenticate(request) {
        case .accepted(let principal):
            throttle.recordSuccess(address)
            var context = context
            context.principal = principal
            return try await next(request, context)
        case .rejected:
            throttle.recordFailure(address)
            context.logger.notice("rejected credentials from \(address) for \(request.method) \(request.uri.path)")
            throw Self.unauthorized("the credentials were not accepted")
        case .missing:
            throw Self.unauthorized("credentials required")
        }
    }

    enum Outcome {
        case accepted(String)
        case rejected
        case missing
    }

    func authenticate(_ request: Request) -> Outcome {
        if let key = request.headers[Self.apiKeyField] {
            return credentials.apiKeyIndex(key).map { .accepted("api-key:\($0)") } ?? .rejected
        }
        if let basic = request.headers.basic {
            return credentials.acceptsBasic(username: basic.username, password: basic.password)
                ? .accepted("user:\(basic.username)") : .rejected
        }
        if let bearer = request.headers.bearer {
            return tokens.verify(bearer.token).map { .accepted("session:\($0)") } ?? .rejected
        }
        if request.uri.path == tokenQueryPath, let token = request.uri.queryParameters["token"] {
            return tokens.verify(String(token)).map { .accepted("session:\($0)") } ?? .rejected
        }
        if request.headers[.authorization] != nil { return .rejected }
        return .missing
    }

    /// The API key header.
    static let apiKeyField = HubServer.apiKeyHeader

    static func unauthorized(_ reason: String) -> APIError {
        APIError(.unauthorized, code: "UNAUTHORIZED",
                 "\(reason): use Basic Auth with HUB_DASHBOARD_USERNAME/HUB_DASHBOARD_PASSWORD or an X-API-Key header with a key of HUB_API_KEYS",
                 headers: [.wwwAuthenticate: "Basic realm=\"Automation Hub\", charset=\"UTF-8\""])
    }
}
