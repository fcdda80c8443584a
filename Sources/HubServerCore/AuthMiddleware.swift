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
/// The credential is verified first, and a valid one always passes: a correct credential is never
/// refused because someone else at the same address failed. Wrong credentials count against the
/// client's address (``FailureThrottle``); once an address failed too often, its further failed
/// attempts are held for the throttle's delay and answered 429 with `Retry-After` instead of 401.
/// A request with no credentials at all is a challenge, not a guess: 401, not counted.
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
        switch authenticate(request) {
        case .accepted(let principal):
            var context = context
            context.principal = principal
            return try await next(request, context)
        case .rejected:
            let throttled = throttle.retryAfter(address) != nil
            throttle.recordFailure(address)
            guard throttled else {
                // Never the credential itself: only where from and for what.
                context.logger.notice("rejected credentials from \(address) for \(request.method) \(request.uri.path)")
                if throttle.retryAfter(address) != nil {
                    context.logger.warning("\(address) failed \(throttle.maxFailures) sign-ins within \(throttle.window): its further failed attempts get 429")
                }
                throw Self.unauthorized("the credentials were not accepted")
            }
            await throttle.hold()
            let wait = throttle.retryAfter(address) ?? throttle.window
            let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
            throw APIError(.tooManyRequests, code: "TOO_MANY_REQUESTS",
                           "the credentials were not accepted, and this address failed too often: try again in \(seconds) s (a correct credential is accepted at any time)",
                           details: ["retry_after_seconds": .integer(Int64(seconds))],
                           headers: [.retryAfter: String(seconds), .wwwAuthenticate: Self.challenge])
        case .missing:
            throw Self.unauthorized("credentials required")
        }
    }

    enum Outcome {
        case accepted(String)
        case rejected
        case missing
    }

    /// Checks every credential the request carries — an `X-API-Key`, Basic Auth, a Bearer token,
    /// `?token=` on the live feed — and accepts the request if any of them is valid: a client that
    /// holds a right credential is never refused because it also sent a wrong one (schemathesis
    /// sends its Basic credentials beside a made-up API key). Only a request whose every
    /// credential is wrong is rejected (and counted).
    func authenticate(_ request: Request) -> Outcome {
        var presented = false
        if let key = request.headers[Self.apiKeyField] {
            presented = true
            if let index = credentials.apiKeyIndex(key) { return .accepted("api-key:\(index)") }
        }
        if let basic = request.headers.basic {
            presented = true
            if credentials.acceptsBasic(username: basic.username, password: basic.password) { return .accepted("user:\(basic.username)") }
        } else if let bearer = request.headers.bearer {
            presented = true
            if let principal = tokens.verify(bearer.token) { return .accepted("session:\(principal)") }
        } else if request.headers[.authorization] != nil {
            presented = true
        }
        if request.uri.path == tokenQueryPath, let token = request.uri.queryParameters["token"] {
            presented = true
            if let principal = tokens.verify(String(token)) { return .accepted("session:\(principal)") }
        }
        return presented ? .rejected : .missing
    }

    /// The Basic Auth challenge.
    static let challenge = "Basic realm=\"Automation Hub\", charset=\"UTF-8\""

    /// The API key header.
    static let apiKeyField = HubServer.apiKeyHeader

    static func unauthorized(_ reason: String) -> APIError {
        APIError(.unauthorized, code: "UNAUTHORIZED",
                 "\(reason): use Basic Auth with HUB_DASHBOARD_USERNAME/HUB_DASHBOARD_PASSWORD or an X-API-Key header with a key of HUB_API_KEYS",
                 headers: [.wwwAuthenticate: challenge])
    }
}
