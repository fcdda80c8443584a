#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HubDriverSupport
import Logging
import ServiceLifecycle

/// `GET /metrics` (the Prometheus text format, credentials required) and `GET /health` (no
/// credentials) of a process without an HTTP server of its own: hub-worker and hub-sync `--watch`
/// with `--metrics-port`.
///
/// A scrape is small and rare, so one thread accepts and answers connections one at a time; every
/// socket read and write has a 2 s timeout, so a client that stalls holds it for 2 s at most.
/// The credentials are hub-server's (``HubCredentials``): an `X-API-Key` header or a Bearer token
/// from `HUB_API_KEYS`, or Basic Auth with the dashboard account.
package final class MetricsEndpoint: Service, Sendable {
    /// The address to listen on (an IPv4 address or `localhost`).
    package let host: String
    /// The port asked for; 0 picks a free one (``port`` tells which).
    package let requestedPort: Int
    let credentials: HubCredentials
    let program: String
    let logger: Logger

    private struct State {
        var port: Int?
        var stopping = false
        var finished: CheckedContinuation<Void, Never>?
        var done = false
    }
    private let state = PThreadLocked(State())

    /// Creates the endpoint; nothing listens before ``run()``.
    package init(host: String, port: Int, credentials: HubCredentials, program: String, logger: Logger) {
        self.host = host
        self.requestedPort = port
        self.credentials = credentials
        self.program = program
        self.logger = logger
    }

    /// The port it listens on, once listening.
    package var port: Int? { state.withLock { $0.port } }

    /// Listens until graceful shutdown or cancellation.
    /// - Throws: ``HubError`` `.configuration` when the address cannot be bound.
    package func run() async throws {
        let fd = try listen()
        HubMetrics.processUp(program: program)
        logger.notice("metrics on http://\(host):\(port ?? 0)/metrics", metadata: ["program": "\(program)"])
        let thread = Thread { [self] in
            serve(fd)
            close(fd)
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.done = true
                defer { state.finished = nil }
                return state.finished
            }
            continuation?.resume()
        }
        thread.name = "hub-metrics"
        thread.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.done { return true }
                        state.finished = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onGracefulShutdown: {
                self.state.withLock { $0.stopping = true }
            }
        } onCancel: {
            self.state.withLock { $0.stopping = true }
        }
    }

    private func listen() throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HubError(.configuration, "metrics endpoint: cannot open a socket (errno \(errno))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(requestedPort).bigEndian)
        let hostAddress = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, hostAddress, &address.sin_addr) == 1 else {
            close(fd)
            throw HubError(.configuration, "metrics endpoint: '\(host)' is not an IPv4 address: use e.g. 127.0.0.1 or 0.0.0.0")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HubError(.configuration, "metrics endpoint: cannot listen on \(host):\(requestedPort) (\(reason)): choose another --metrics-port")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        state.withLock { $0.port = Int(UInt16(bigEndian: actual.sin_port)) }
        return fd
    }

    private func serve(_ fd: Int32) {
        while !state.withLock({ $0.stopping }) {
            switch SocketWait.readable(fd, timeoutMilliseconds: 200) {
            case .timeout: continue
            case .failed: return
            case .readable:
                let client = accept(fd, nil, nil)
                guard client >= 0 else { continue }
                var timeout = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let response = respond(to: readRequest(client))
                response.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = send(client, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                        if written <= 0 { break }
                        offset += written
                    }
                }
                close(client)
            }
        }
    }

    /// The request head (up to 16 KiB), or nil when the client sent none in time.
    private func readRequest(_ client: Int32) -> String? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.count < 16_384 {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
            if Self.endOfHead(in: data) { break }
        }
        return data.isEmpty ? nil : String(decoding: data, as: UTF8.self)
    }

    /// Whether `data` holds a whole request head (an empty line ends it).
    package static func endOfHead(in data: [UInt8]) -> Bool {
        guard data.count >= 4 else { return false }
        for index in 0...(data.count - 4) where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
            return true
        }
        return false
    }

    /// The whole HTTP/1.1 response to one request head.
    package func respond(to head: String?) -> Data {
        guard let head, let requestLine = head.split(separator: "\r\n", omittingEmptySubsequences: false).first else {
            return Self.response(400, "Bad Request", body: "bad request\n")
        }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3 else { return Self.response(400, "Bad Request", body: "bad request\n") }
        let path = String(parts[1].split(separator: "?", maxSplits: 1).first ?? "")
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        switch (parts[0], path) {
        case ("GET", "/health"), ("HEAD", "/health"):
            return Self.response(200, "OK", body: "{\"status\":\"up\"}\n", type: "application/json")
        case ("GET", "/metrics"), ("HEAD", "/metrics"):
            guard credentials.accepts(authorization: headers["authorization"], apiKey: headers["x-api-key"]) else {
                return Self.response(401, "Unauthorized", body: "credentials required: X-API-Key or Authorization (Bearer API key or Basic)\n",
                                     extra: ["WWW-Authenticate: Basic realm=\"hub\""])
            }
            return Self.response(200, "OK", body: HubMetrics.exposition(), type: "text/plain; version=0.0.4; charset=utf-8")
        case (_, "/metrics"), (_, "/health"):
            return Self.response(405, "Method Not Allowed", body: "only GET\n", extra: ["Allow: GET, HEAD"])
        default:
            return Self.response(404, "Not Found", body: "not found: try /metrics or /health\n")
        }
    }

    static func response(_ status: Int, _ reason: String, body: String, type: String = "text/plain; charset=utf-8", extra: [String] = []) -> Data {
        let bytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n"
        for line in extra { head += line + "\r\n" }
        return Data((head + "\r\n").utf8) + Data(bytes)
    }
}
