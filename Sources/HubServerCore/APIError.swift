import Foundation
import HTTPTypes
import HubCore
import HubPostgres
import Hummingbird
import Logging

/// An error answered in the seed 002 §5.3 shape: `{"error":{"code","message","details"}}`.
///
/// `code` is an upper-case constant clients can branch on (`UNAUTHORIZED`, `NOT_FOUND`,
/// `VALIDATION_ERROR`, …); `message` is one sentence for a person that says what to do; `details`
/// holds machine-readable context (never a secret).
package struct APIError: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var details: [String: JSONValue]
    package var headers: HTTPFields

    /// Creates an error.
    package init(_ status: HTTPResponse.Status, code: String, _ message: String, details: [String: JSONValue] = [:],
                headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var details: [String: JSONValue]
        }
        var error: Inner
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try APIJSON.encoder.encode(Body(error: .init(code: code, message: message, details: details)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// 400: the request is malformed.
    static func validation(_ message: String, details: [String: JSONValue] = [:]) -> APIError {
        APIError(.badRequest, code: "VALIDATION_ERROR", message, details: details)
    }

    /// 404: the thing named does not exist.
    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "NOT_FOUND", message) }

    /// The API form of any error a handler threw.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HubError:
            switch error.code {
            case .notFound: return APIError(.notFound, code: "NOT_FOUND", error.message)
            case .usage: return APIError(.badRequest, code: "VALIDATION_ERROR", error.message)
            case .conflict: return APIError(.conflict, code: "CONFLICT", error.message)
            case .refused: return APIError(.unprocessableContent, code: "REFUSED", error.message)
            case .schemaBehind, .schemaAhead, .migration:
                return APIError(.serviceUnavailable, code: "SCHEMA_MISMATCH", error.message)
            default: return APIError(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", error.message)
            }
        case let error as PostgresError where error.code == .invalidParameter:
            // A value libpq refuses to send (text with a NUL byte, which PostgreSQL text cannot
            // hold) can only have come from the request: the client's mistake, not an outage.
            return APIError(.badRequest, code: "VALIDATION_ERROR",
                            "a value in the request contains a NUL byte (\\u0000), which the hub cannot store: remove it")
        case let error as PostgresError where error.code == .server && error.sqlState?.hasPrefix("22") == true:
            // SQLSTATE class 22, data exception: a value out of its column's range, malformed or
            // too long (22003 "integer out of range", 22007, 22008, 22P02 …). The statements bind
            // the request's values, so it is the request's mistake.
            return APIError(.badRequest, code: "VALIDATION_ERROR",
                            "a value in the request does not fit what the hub stores: \(error.message)")
        case let error as HTTPError:
            let message = error.body ?? error.status.reasonPhrase
            return APIError(error.status, code: code(for: error.status), message, headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError(error.status, code: code(for: error.status), error.status.reasonPhrase)
        default:
            // Driver errors say what failed without secrets (Docs/architecture.md "Errors").
            let typeName = String(describing: type(of: error))
            if typeName == "PostgresError" || typeName == "RedisError" {
                return APIError(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", String(describing: error))
            }
            return APIError(.internalServerError, code: "INTERNAL_ERROR", "the server failed to answer; see its log")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .badRequest: "VALIDATION_ERROR"
        case .unauthorized: "UNAUTHORIZED"
        case .forbidden: "FORBIDDEN"
        case .notFound: "NOT_FOUND"
        case .methodNotAllowed: "METHOD_NOT_ALLOWED"
        case .conflict: "CONFLICT"
        case .contentTooLarge: "PAYLOAD_TOO_LARGE"
        case .unsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE"
        case .tooManyRequests: "TOO_MANY_REQUESTS"
        case .serviceUnavailable: "SERVICE_UNAVAILABLE"
        default: status.code >= 500 ? "INTERNAL_ERROR" : "HTTP_\(status.code)"
        }
    }
}

/// Turns every error thrown below it into an ``APIError`` response, and logs server faults.
///
/// The router's own 404 for a path it knows under other methods becomes 405
/// `METHOD_NOT_ALLOWED` with `Allow` listing them (``RouteMethods``).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    /// The registered routes' methods; nil answers the router's 404 as it is.
    var routes: RouteMethods?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIError.from(error)
            if let routes, let routerError = error as? HTTPError, routerError.status == .notFound {
                let allowed = routes.allowed(for: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                    apiError = APIError(.methodNotAllowed, code: "METHOD_NOT_ALLOWED",
                                        "\(request.method) is not allowed on \(request.uri.path): use \(allowed.joined(separator: " or "))",
                                        details: ["allow": .array(allowed.map { .string($0) })],
                                        headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            if apiError.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
