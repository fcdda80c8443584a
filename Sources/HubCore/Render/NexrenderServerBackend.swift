import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HubDriverSupport

/// Renders through a nexrender **server** over HTTP (GRAPHICS.md §4; the production's render
/// client, reference/render-client/PRD-0011 §6.1, §7.2), so a Linux `hub-worker` can feed the
/// Windows After Effects nodes that the server dispatches to.
///
/// 1. `POST {base}/api/v1/jobs` with the header `nexrender-secret` and the same job JSON the
///    nexrender CLI backend writes (``NexrenderBackend``: template, `data`/`image` assets from
///    ``RenderJob/layers``, a postrender `@nexrender/action-copy` to the attempt's output path).
///    The answer is the job with its `uid`.
/// 2. `GET {base}/api/v1/jobs/{uid}` every ``pollInterval`` for its `state`: `queued`, `started`,
///    `downloading`, `rendering` (with `renderProgress` 0–100), `encoding`, `finished` or `error`
///    (nexrender's own `render:…` steps are understood too). Progress is reported as frames when
///    the frame count is known (``AerenderBackend/expectedFrames(_:)``), else as percent with
///    `totalFrames` 100.
/// 3. `finished`: the output file must exist and not be empty (the render node writes it through
///    a path both machines share). `error`: the attempt fails with the server's message.
///
/// Cancelling the calling task (operator cancel, lost lease, shutdown) sends
/// `DELETE {base}/api/v1/jobs/{uid}` from a task of its own, waits for it (a few seconds at most)
/// and rethrows `CancellationError`. A job whose state and progress do not change for
/// ``inactivityTimeout`` is deleted and the attempt fails, as a silent local renderer is killed.
///
/// Errors: the server unreachable, a non-2xx answer or malformed JSON are ``HubError`` `.unavailable`
/// (retryable) naming the URL, status and an excerpt of the body; a 401/403 is `.configuration`
/// naming `HUB_NEXRENDER_SECRET`. The secret is sent only as a header: it is never part of a URL,
/// an error message or this value's description.
package struct NexrenderServerBackend: RenderBackend, CustomStringConvertible, CustomReflectable {
    /// "nexrender-server", the name `--backend` uses.
    package var name: String { "nexrender-server" }
    /// The job JSON is posted, not written: no work directory.
    package var usesWorkDirectory: Bool { false }
    /// The server's base URL (`http://render-01:3050`); the API is under `/api/v1/jobs`.
    package let baseURL: URL
    /// Where `<templateName>.aep` projects live; their `file://` URLs go into the job, so the
    /// render nodes must see them at the same path.
    package let templateDirectory: URL
    /// How often the job's state is asked for.
    package let pollInterval: Duration
    /// Delete the job and fail after this long without a change of state or progress.
    package let inactivityTimeout: Duration
    /// Each HTTP exchange gives up after this long.
    package let requestTimeout: Duration
    /// The `nexrender-secret` header (nil: none sent). Private: never shown.
    private let secret: String?
    /// How requests are sent (URLSession; tests may substitute their own).
    let transport: any NexrenderTransport

    /// Polls that may fail in a row (server restarting, a network blip) before the attempt fails.
    static let maxPollFailures = 5
    /// The longest a best-effort `DELETE` is waited for.
    static let deleteTimeout: Duration = .seconds(5)

    /// Creates the backend.
    /// - Parameters:
    ///   - baseURL: the nexrender server (`HUB_NEXRENDER_URL`), http or https.
    ///   - secret: the server's API secret (`HUB_NEXRENDER_SECRET`); nil or empty sends none.
    ///   - templateDirectory: the directory holding `<templateName>.aep` projects.
    ///   - pollInterval: the pause between state polls.
    ///   - inactivityTimeout: how long the job may show no change before it is deleted.
    ///   - requestTimeout: the limit of each HTTP exchange.
    /// - Throws: ``HubError`` `.configuration` when `baseURL` is not an http(s) URL with a host.
    package init(baseURL: URL, secret: String?, templateDirectory: URL, pollInterval: Duration = .seconds(1),
                inactivityTimeout: Duration = .seconds(300), requestTimeout: Duration = .seconds(30)) throws {
        try self.init(baseURL: baseURL, secret: secret, templateDirectory: templateDirectory, pollInterval: pollInterval,
                      inactivityTimeout: inactivityTimeout, requestTimeout: requestTimeout, transport: URLSessionNexrenderTransport())
    }

    /// Creates the backend with its own transport.
    init(baseURL: URL, secret: String?, templateDirectory: URL, pollInterval: Duration = .seconds(1),
         inactivityTimeout: Duration = .seconds(300), requestTimeout: Duration = .seconds(30), transport: any NexrenderTransport) throws {
        guard let scheme = baseURL.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = baseURL.host, !host.isEmpty else {
            throw HubError(.configuration, "the nexrender server URL \(Self.display(baseURL)) is not an http(s) URL: set HUB_NEXRENDER_URL (or --nexrender-url) to e.g. http://render-01:3050")
        }
        self.baseURL = baseURL
        let trimmed = secret?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.secret = (trimmed?.isEmpty ?? true) ? nil : trimmed
        self.templateDirectory = templateDirectory
        self.pollInterval = max(pollInterval, .milliseconds(1))
        self.inactivityTimeout = inactivityTimeout
        self.requestTimeout = requestTimeout
        self.transport = transport
    }

    package var description: String { "nexrender-server \(Self.display(baseURL))" }

    /// Shows the settings but not the secret (for `dump` and debuggers).
    package var customMirror: Mirror {
        Mirror(self, children: [
            "baseURL": Self.display(baseURL), "secret": secret == nil ? "none" : "(set)",
            "templateDirectory": templateDirectory.path, "pollInterval": pollInterval,
            "inactivityTimeout": inactivityTimeout, "requestTimeout": requestTimeout,
        ])
    }

    /// Posts the job, follows it to `finished` and checks the output.
    /// - Throws: `CancellationError` when the calling task is cancelled (the job is deleted);
    ///   ``HubError`` `.configuration` for a missing template or a refused secret, `.unavailable`
    ///   when the server is unreachable, answers badly, fails the job, shows no change for
    ///   ``inactivityTimeout`` or finishes without output.
    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        // First: settings no renderer may use (a row written around the API) fail the job here.
        let total = try AerenderBackend.expectedFrames(job.instruction.outputSettings)
        let document = try NexrenderBackend.jobDocument(for: job, templateDirectory: templateDirectory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(document)
        try Task.checkCancellation()
        let uid = try await submit(body)
        do {
            try await follow(uid, total: total, progress: progress)
        } catch {
            guard error is CancellationError || Task.isCancelled else { throw error }
            await delete(uid)
            throw CancellationError()
        }
        guard let size = AerenderBackend.fileSize(at: job.outputPath), size > 0 else {
            throw HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) finished job \(uid) but there is no output at \(job.outputPath): check that the render node's @nexrender/action-copy can write there (the path must be shared with this worker)")
        }
        return RenderStore.Output(path: job.outputPath, fileSize: size, frameCount: total)
    }
}

// MARK: - The exchanges

extension NexrenderServerBackend {
    /// Posts the job and returns its uid. The POST runs in a task of its own: when the caller is
    /// cancelled meanwhile, it stops waiting at once and the job, if the server created it, is
    /// deleted as soon as its uid is known.
    private func submit(_ body: Data) async throws -> String {
        let request = NexrenderHTTPRequest(method: "POST", url: jobsURL, headers: headers(json: true), body: body, timeout: requestTimeout)
        let posting = Task.detached { [transport] in try await transport.send(request) }
        let response: NexrenderHTTPResponse
        do {
            response = try await Self.valueUnlessCancelled(posting)
        } catch {
            guard error is CancellationError, Task.isCancelled else { throw failure(error, exchange: "POST /api/v1/jobs") }
            let backend = self
            Task.detached {
                if let late = try? await posting.value, let uid = try? backend.uid(from: late) { await backend.delete(uid) }
            }
            throw CancellationError()
        }
        return try uid(from: response)
    }

    /// The uid from the answer to the POST.
    private func uid(from response: NexrenderHTTPResponse) throws -> String {
        try check(response, exchange: "POST /api/v1/jobs")
        guard case .string(let uid)? = try object(of: response, exchange: "POST /api/v1/jobs")["uid"],
              !uid.isEmpty, uid.count <= 200 else {
            throw HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) answered POST /api/v1/jobs without a job uid (\(excerpt(response.body))): check that HUB_NEXRENDER_URL points at a nexrender server")
        }
        return uid
    }

    /// Polls the job until it is finished.
    /// - Throws: ``HubError`` when it fails, is gone or stalls (stalled jobs are deleted first).
    private func follow(_ uid: String, total: Int?, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws {
        var lastSeen: Observation?
        var lastReported: RenderProgress?
        var lastChange = ContinuousClock.now
        var failures = 0
        while true {
            try await Task.sleep(for: pollInterval)
            do {
                let observation = try await fetch(uid)
                failures = 0
                if observation != lastSeen {
                    lastSeen = observation
                    lastChange = .now
                }
                if observation.state == "error" {
                    let detail = observation.error ?? "it gave no reason"
                    throw HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) failed job \(uid): \(detail)")
                }
                if let report = Self.progress(state: observation.state, percent: observation.percent, totalFrames: total), report != lastReported {
                    lastReported = report
                    await progress(report)
                }
                if observation.state == "finished" { return }
            } catch PollFailure.transient(let error) {
                failures += 1
                if failures >= Self.maxPollFailures {
                    await delete(uid)
                    throw HubError(.unavailable, "\(error.message) (\(failures) polls in a row failed; the job was deleted)")
                }
            }
            if ContinuousClock.now - lastChange >= inactivityTimeout {
                await delete(uid)
                throw HubError(.unavailable, "nexrender job \(uid) on \(Self.display(baseURL)) showed no change for \(inactivityTimeout)\(lastSeen.map { " (still \($0.state))" } ?? "") and was deleted: raise the renderer timeout if the render nodes are busy or After Effects needs longer")
            }
        }
    }

    /// A poll that failed in a way the next poll may not: unreachable, a 5xx, malformed JSON.
    private enum PollFailure: Error {
        case transient(HubError)
    }

    /// One poll of the job.
    /// - Throws: ``PollFailure`` for a failure worth polling again; ``HubError`` for a refused
    ///   secret (`.configuration`) or a job the server no longer has; `CancellationError`.
    private func fetch(_ uid: String) async throws -> Observation {
        let exchange = "GET /api/v1/jobs/\(uid)"
        let request = NexrenderHTTPRequest(method: "GET", url: jobURL(uid), headers: headers(json: false), body: nil, timeout: requestTimeout)
        let response: NexrenderHTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            throw PollFailure.transient(failure(error, exchange: exchange))
        }
        if response.status == 404 {
            throw HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) no longer has job \(uid) (HTTP 404; was it restarted or the job removed?): the attempt will be retried")
        }
        let object: [String: JSONValue]
        do {
            try check(response, exchange: exchange)
            object = try self.object(of: response, exchange: exchange)
        } catch let error as HubError where error.code == .unavailable {
            throw PollFailure.transient(error)
        }
        guard case .string(let state)? = object["state"], !state.isEmpty else {
            throw PollFailure.transient(HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) answered \(exchange) without a state (\(excerpt(response.body)))"))
        }
        var percent: Double?
        switch object["renderProgress"] {
        case .integer(let value)?: percent = Double(value)
        case .number(let value)?: percent = value
        case .string(let text)?: percent = Double(text)
        default: percent = nil
        }
        let error: String? = switch object["error"] {
        case nil, .null?: nil
        case .string(let text)?: text
        case .array(let items)?: items.map { if case .string(let text) = $0 { text } else { $0.canonicalText } }.joined(separator: "; ")
        case let other?: other.canonicalText
        }
        return Observation(state: state, percent: percent, error: error.map { String(scrub($0).prefix(500)) })
    }

    /// Deletes the job, best effort: from a detached task (a cancelled caller's request would be
    /// refused), waited for at most ``deleteTimeout``.
    func delete(_ uid: String) async {
        let request = NexrenderHTTPRequest(method: "DELETE", url: jobURL(uid), headers: headers(json: false), body: nil,
                                           timeout: min(requestTimeout, Self.deleteTimeout))
        await Task.detached { [transport] in _ = try? await transport.send(request) }.value
    }

    /// What one poll saw: state, progress, error text.
    private struct Observation: Equatable, Sendable {
        var state: String
        var percent: Double?
        var error: String?
    }

    /// The progress a state means, as frames of `totalFrames` or as percent of 100; nil for states
    /// that say nothing about progress (`error`, unknown states without `renderProgress`).
    static func progress(state: String, percent: Double?, totalFrames: Int?) -> RenderProgress? {
        let done: Double?
        switch state {
        case "finished", "encoding", "render:postrender", "render:cleanup": done = 100
        case "rendering", "render:dorender": done = percent ?? 0
        case "created", "queued", "picked", "started", "downloading", "render:setup", "render:predownload",
             "render:download", "render:prerender", "render:script": done = 0
        case "error": done = nil
        default: done = percent
        }
        guard let done, done.isFinite else { return nil }
        let fraction = min(100, max(0, done))
        if let totalFrames {
            return RenderProgress(frame: min(totalFrames, max(0, Int((fraction * Double(totalFrames) / 100).rounded(.down)))), totalFrames: totalFrames)
        }
        return RenderProgress(frame: Int(fraction.rounded(.down)), totalFrames: 100)
    }
}

// MARK: - Requests, answers and messages

extension NexrenderServerBackend {
    /// `{base}/api/v1/jobs`.
    var jobsURL: URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/api/v1/jobs")!
    }

    /// `{base}/api/v1/jobs/{uid}`, the uid percent-encoded.
    func jobURL(_ uid: String) -> URL {
        let encoded = uid.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? uid
        return URL(string: jobsURL.absoluteString + "/" + encoded)!
    }

    private func headers(json: Bool) -> [String: String] {
        var headers = ["Accept": "application/json"]
        if json { headers["Content-Type"] = "application/json" }
        if let secret { headers["nexrender-secret"] = secret }
        return headers
    }

    /// A URL without user, password, query or fragment: safe to show.
    static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "(an unreadable URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(an unreadable URL)"
    }

    /// Throws for a non-2xx answer: 401/403 as `.configuration` (the secret), else `.unavailable`.
    private func check(_ response: NexrenderHTTPResponse, exchange: String) throws {
        guard !(200..<300).contains(response.status) else { return }
        let server = Self.display(baseURL)
        if response.status == 401 || response.status == 403 {
            if secret == nil {
                throw HubError(.configuration, "the nexrender server at \(server) refused \(exchange) with HTTP \(response.status) and no secret was sent: set HUB_NEXRENDER_SECRET on this worker to the secret the nexrender server was started with")
            }
            throw HubError(.configuration, "the nexrender server at \(server) refused \(exchange) with HTTP \(response.status): HUB_NEXRENDER_SECRET on this worker does not match the secret the nexrender server was started with; fix it")
        }
        throw HubError(.unavailable, "the nexrender server at \(server) answered \(exchange) with HTTP \(response.status) (\(excerpt(response.body))): check the nexrender server's log")
    }

    /// The answer as a JSON object.
    private func object(of response: NexrenderHTTPResponse, exchange: String) throws -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: response.body), let object = value.objectValue else {
            throw HubError(.unavailable, "the nexrender server at \(Self.display(baseURL)) answered \(exchange) with something that is not a JSON object (\(excerpt(response.body))): check that HUB_NEXRENDER_URL points at a nexrender server")
        }
        return object
    }

    /// An error of the transport as ``HubError`` `.unavailable`.
    private func failure(_ error: any Error, exchange: String) -> HubError {
        if let hub = error as? HubError { return hub }
        let reason: String
        if let url = error as? URLError {
            reason = switch url.code {
            case .cannotConnectToHost: "the connection was refused"
            case .timedOut: "no answer within \(requestTimeout)"
            case .cannotFindHost, .dnsLookupFailed: "the host name was not found"
            case .networkConnectionLost: "the connection was lost"
            case .notConnectedToInternet: "there is no network"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid:
                "the TLS connection failed"
            default: "URL error \(url.code.rawValue)"
            }
        } else {
            reason = scrub("\(error)")
        }
        return HubError(.unavailable, "could not reach the nexrender server at \(Self.display(baseURL)) for \(exchange): \(reason): check HUB_NEXRENDER_URL and that the nexrender server is running")
    }

    /// The start of a body, on one line, without the secret.
    private func excerpt(_ body: Data) -> String {
        // Scrubbed before it is cut, so no part of the secret survives at the cut.
        let text = scrub(String(decoding: body.prefix(65_536), as: UTF8.self))
            .split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        if text.isEmpty { return "empty body" }
        return text.count > 200 ? "\(text.prefix(200))…" : text
    }

    /// `text` with every occurrence of the secret replaced: server text may echo it.
    private func scrub(_ text: String) -> String {
        guard let secret else { return text }
        return text.replacingOccurrences(of: secret, with: "(secret)")
    }

    /// The task's value, or `CancellationError` as soon as the calling task is cancelled (the task
    /// itself runs on).
    static func valueUnlessCancelled<T: Sendable>(_ task: Task<T, any Error>) async throws -> T {
        let outcome = OnceOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.set(continuation)
                Task { outcome.finish(await task.result) }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }
}

// MARK: - HTTP

/// One request to the nexrender server.
struct NexrenderHTTPRequest: Sendable {
    var method: String
    var url: URL
    var headers: [String: String]
    var body: Data?
    /// The whole exchange gives up after this long.
    var timeout: Duration
}

/// The server's answer: status and body.
struct NexrenderHTTPResponse: Sendable {
    var status: Int
    var body: Data
}

/// Sends requests to the nexrender server; the real one uses URLSession.
protocol NexrenderTransport: Sendable {
    /// Sends `request`; throws when there is no answer (refused, timed out) or the calling task
    /// is cancelled (`CancellationError`).
    func send(_ request: NexrenderHTTPRequest) async throws -> NexrenderHTTPResponse
}

/// ``NexrenderTransport`` over an ephemeral URLSession (no cache, no cookies). The timeout is
/// enforced here as well as by the session, and cancelling the calling task cancels the request.
struct URLSessionNexrenderTransport: NexrenderTransport {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration)
    }()

    func send(_ request: NexrenderHTTPRequest) async throws -> NexrenderHTTPResponse {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout.seconds)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let outcome = OnceOutcome<NexrenderHTTPResponse>()
        let running = PThreadLocked<(task: URLSessionDataTask?, timer: Task<Void, Never>?)>((nil, nil))
        let timeout = request.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.set(continuation)
                let task = Self.session.dataTask(with: urlRequest) { data, response, error in
                    running.withLock { $0.timer }?.cancel()
                    if let error {
                        outcome.finish(.failure(error))
                    } else {
                        outcome.finish(.success(NexrenderHTTPResponse(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data ?? Data())))
                    }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    task.cancel()
                    outcome.finish(.failure(URLError(.timedOut)))
                }
                running.withLock { $0 = (task, timer) }
                task.resume()
            }
        } onCancel: {
            let current = running.withLock { $0 }
            current.timer?.cancel()
            current.task?.cancel()
            outcome.finish(.failure(CancellationError()))
        }
    }
}

/// Resumes a continuation once, with the first outcome (an answer, a timeout or a cancellation),
/// whether it arrives before or after the continuation is set.
private final class OnceOutcome<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var result: Result<Value, any Error>?

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.lock()
        if let result {
            lock.unlock()
            continuation.resume(with: result)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func finish(_ outcome: Result<Value, any Error>) {
        lock.lock()
        guard result == nil else {
            lock.unlock()
            return
        }
        result = outcome
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(with: outcome)
    }
}

// MARK: - Settings

extension HubSetting {
    /// `HUB_NEXRENDER_URL`: the nexrender server of the `nexrender-server` backend.
    package static let nexrenderURL = HubSetting(name: "HUB_NEXRENDER_URL", defaultValue: nil,
        summary: "the nexrender server of the nexrender-server backend, e.g. http://render-01:3050", isSecret: false)
    /// `HUB_NEXRENDER_SECRET`: the nexrender server's API secret (sent as `nexrender-secret`).
    package static let nexrenderSecret = HubSetting(name: "HUB_NEXRENDER_SECRET", defaultValue: nil,
        summary: "the nexrender server's API secret (header nexrender-secret)", isSecret: true)
}
