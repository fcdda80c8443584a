import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// The job document builder, the progress mapping and the worker's mapping lookup are checked
// directly (debug `swift test`).
@testable import HubCore
import HubDriverSupport
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The nexrender-server backend against a stand-in nexrender server (plain POSIX sockets, in this
/// file) that speaks the documented API: the job JSON it receives, progress, the output check,
/// the error state, an unreachable server, malformed answers, cancellation (DELETE), a refused
/// secret, and that the secret never shows in an error.
@Suite struct NexrenderServerBackendTests {
    static let secret = "s3cret-Nexrender-0000"

    // MARK: - Fixtures

    /// A scratch directory with `templates/leaderboard.aep` and room for outputs.
    struct Sandbox {
        let root: URL
        var templates: URL { root.appendingPathComponent("templates") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-nexrender-server-\(UUID())")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("templates"), withIntermediateDirectories: true)
            try Data("RIFX".utf8).write(to: templates.appendingPathComponent("leaderboard.aep"))
        }

        func job(_ instruction: RenderInstruction, mapping: LayerMapping? = nil) -> RenderJob {
            RenderJob(instruction: instruction, outputPath: root.appendingPathComponent("leaderboard-7-a1.\(instruction.outputSettings.format.rawValue)").path,
                      workDirectory: root.appendingPathComponent("work"), layerMapping: mapping)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// An instruction as the store returns it (RenderInstruction has no public init).
    static func instruction(_ layers: [String: JSONValue], composition: String = "Main", format: OutputSettings.Format = .mov,
                            frames: ClosedRange<Int>? = nil) throws -> RenderInstruction {
        var settings: [String: JSONValue] = ["format": .string(format.rawValue), "width": .integer(1920), "height": .integer(1080), "fps": .integer(30)]
        if let frames {
            settings["frameStart"] = .integer(Int64(frames.lowerBound))
            settings["frameEnd"] = .integer(Int64(frames.upperBound))
        }
        let json: [String: JSONValue] = [
            "id": .integer(7), "templateName": .string("leaderboard"), "composition": .string(composition),
            "layerData": .object(layers), "outputSettings": .object(settings),
            "status": .string("processing"), "priority": .integer(5), "trigger": .string("manual"), "retryCount": .integer(0),
            "maxRetries": .integer(3), "attempt": .integer(1), "dataHash": .string(String(repeating: "c", count: 64)),
            "createdAt": .number(0), "scheduledAt": .number(0), "cancelRequested": .bool(false), "requiredTags": .array([]),
        ]
        return try JSONDecoder().decode(RenderInstruction.self, from: Data(JSONValue.object(json).canonicalText.utf8))
    }

    static let composition = "_Feature Table Leaderboard"

    /// A v3 graphics document: two leaderboard slots and two single fields.
    static let document = GFXDataDocument(
        compName: composition, renderType: "leaderboard", category: "chip_display",
        slots: [
            .init(slotIndex: 1, fields: ["name": "김민수", "chips": "1,500,000", "flag": "flags/kr.png"]),
            .init(slotIndex: 2, fields: ["name": "Daniel Negreanu", "chips": "980,000"]),
        ],
        singleFields: ["event_name": "Event #76", "blind_level": "40K/80K"],
        metadata: .init(tableID: "GG", generatedAt: "2026-06-01T18:00:00Z"))

    /// The project's mapping: slot 1 and the event name have layers; the rest falls back to keys.
    static let mapping = LayerMapping(
        project: "leaderboard",
        compositions: [composition: ["slot1_name": "Name 1", "slot1_chips": "Chips 1", "slot1_flag": "Flag 1", "event_name": "Event Title"]],
        commonFields: ["series_name": "WSOP 2026"])

    static func backend(_ server: StandInNexrender?, port: UInt16? = nil, secret: String? = Self.secret, templates: URL,
                        poll: Duration = .milliseconds(50), inactivity: Duration = .seconds(60)) throws -> NexrenderServerBackend {
        let url = URL(string: "http://127.0.0.1:\(port ?? server?.port ?? 0)")!
        return try NexrenderServerBackend(baseURL: url, secret: secret, templateDirectory: templates,
                                          pollInterval: poll, inactivityTimeout: inactivity, requestTimeout: .seconds(10))
    }

    /// Renders and collects the progress reports.
    static func render(_ backend: NexrenderServerBackend, _ job: RenderJob) async -> (Result<RenderStore.Output, any Error>, [RenderProgress]) {
        let reports = PThreadLocked<[RenderProgress]>([])
        do {
            let output = try await backend.render(job) { report in reports.withLock { $0.append(report) } }
            return (.success(output), reports.withLock { $0 })
        } catch {
            return (.failure(error), reports.withLock { $0 })
        }
    }

    /// The thrown ``HubError``, recording an issue for anything else; checks the secret is not in it.
    static func hubError(_ result: Result<RenderStore.Output, any Error>, sourceLocation: SourceLocation = #_sourceLocation) -> HubError? {
        guard case .failure(let error) = result else {
            Issue.record("the render succeeded", sourceLocation: sourceLocation)
            return nil
        }
        #expect(!String(describing: error).contains(secret), "the secret is in the error", sourceLocation: sourceLocation)
        #expect(!String(reflecting: error).contains(secret), "the secret is in the error", sourceLocation: sourceLocation)
        guard let hub = error as? HubError else {
            Issue.record("not a HubError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
        return hub
    }

    static func state(_ state: String, _ progress: Double? = nil) -> [String: JSONValue] {
        var step: [String: JSONValue] = ["state": .string(state)]
        if let progress { step["renderProgress"] = .number(progress) }
        return step
    }

    static func fileURL(_ path: String) -> String { URL(fileURLWithPath: path).absoluteString }

    // MARK: - A whole render

    @Test func fullLifecycleWithProgressAndTheJobJSON() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [
            Self.state("queued"), Self.state("started"), Self.state("rendering", 30), Self.state("rendering", 70),
            Self.state("encoding"), Self.state("finished"),
        ])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let job = sandbox.job(try Self.instruction(Self.document.jsonObject, composition: Self.composition, frames: 0...59), mapping: Self.mapping)

        let (result, reports) = await Self.render(backend, job)
        let output = try result.get()
        #expect(output.path == job.outputPath)
        #expect(output.fileSize == Int64(StandInNexrender.renderedBytes.count))
        #expect(output.frameCount == 60)
        // queued → 0, rendering 30 % and 70 % of 60 frames, encoding → all; each change once.
        #expect(reports == [RenderProgress(frame: 0, totalFrames: 60), RenderProgress(frame: 18, totalFrames: 60),
                            RenderProgress(frame: 42, totalFrames: 60), RenderProgress(frame: 60, totalFrames: 60)])

        let requests = server.requests
        let post = try #require(requests.first)
        #expect(post.method == "POST" && post.path == "/api/v1/jobs")
        #expect(post.headers["nexrender-secret"] == Self.secret)
        #expect(post.headers["content-type"] == "application/json")
        #expect(requests.dropFirst().allSatisfy { $0.method == "GET" && $0.path == "/api/v1/jobs/\(StandInNexrender.uid)" })
        #expect(requests.count == 7, "one POST and a GET per state until finished")
        #expect(!requests.contains { $0.method == "DELETE" })

        let received = try #require(try JSONValue.parse(String(decoding: post.body, as: UTF8.self)).objectValue)
        #expect(Set(received.keys) == ["template", "assets", "actions"])
        #expect(received["template"] == .object([
            "src": .string(Self.fileURL(sandbox.templates.path + "/leaderboard.aep")), "composition": .string(Self.composition),
            "outputModule": .string("Apple ProRes 422"), "outputExt": .string("mov"), "frameStart": .integer(0), "frameEnd": .integer(59),
        ]))
        // Mapped fields fill their layers; the rest (slot 2, blind_level, the project's common
        // series_name) fill layers named like their keys. In layer-name order.
        let data = { (layer: String, value: String) -> JSONValue in
            .object(["type": .string("data"), "layerName": .string(layer), "property": .string("Source Text"), "value": .string(value)])
        }
        let expected: [JSONValue] = [
            data("Chips 1", "1,500,000"),
            data("Event Title", "Event #76"),
            .object(["type": .string("image"), "layerName": .string("Flag 1"), "src": .string(Self.fileURL(sandbox.templates.path + "/flags/kr.png"))]),
            data("Name 1", "김민수"),
            data("blind_level", "40K/80K"),
            data("series_name", "WSOP 2026"),
            data("slot2_chips", "980,000"),
            data("slot2_name", "Daniel Negreanu"),
        ]
        guard case .array(let assets)? = received["assets"] else { Issue.record("assets is not an array"); return }
        #expect(assets.count == expected.count)
        for (asset, want) in zip(assets, expected) { #expect(asset == want) }
        #expect(received["actions"] == .object(["postrender": .array([.object([
            "module": .string("@nexrender/action-copy"), "input": .string("result.mov"), "output": .string(job.outputPath),
        ])])]))
    }

    @Test func withoutAMappingFieldKeysAreLayerNames() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let job = sandbox.job(try Self.instruction(Self.document.jsonObject, composition: Self.composition, frames: 0...59))
        _ = try await Self.render(backend, job).0.get()
        let body = try #require(server.requests.first?.body)
        guard case .array(let assets)? = try JSONValue.parse(String(decoding: body, as: UTF8.self)).objectValue?["assets"] else {
            Issue.record("no assets")
            return
        }
        let names = assets.compactMap { asset -> String? in
            if case .string(let name)? = asset.objectValue?["layerName"] { name } else { nil }
        }
        #expect(names == ["blind_level", "event_name", "slot1_chips", "slot1_flag", "slot1_name", "slot2_chips", "slot2_name"])
    }

    @Test func progressIsPercentWhenTheFrameCountIsUnknown() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [
            Self.state("queued"), Self.state("rendering", 30), Self.state("rendering", 70), Self.state("finished"),
        ])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let (result, reports) = await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")], format: .mp4)))
        #expect(try result.get().frameCount == nil)
        #expect(reports == [RenderProgress(frame: 0, totalFrames: 100), RenderProgress(frame: 30, totalFrames: 100),
                            RenderProgress(frame: 70, totalFrames: 100), RenderProgress(frame: 100, totalFrames: 100)])
    }

    @Test(arguments: [
        ("queued", nil as Double?, 60 as Int?, RenderProgress(frame: 0, totalFrames: 60) as RenderProgress?),
        ("downloading", nil, nil, RenderProgress(frame: 0, totalFrames: 100)),
        ("rendering", 45.5, 60, RenderProgress(frame: 27, totalFrames: 60)),
        ("rendering", 150, nil, RenderProgress(frame: 100, totalFrames: 100)),
        ("render:dorender", 50, 10, RenderProgress(frame: 5, totalFrames: 10)),
        ("encoding", nil, 60, RenderProgress(frame: 60, totalFrames: 60)),
        ("finished", nil, nil, RenderProgress(frame: 100, totalFrames: 100)),
        ("error", 80, 60, nil),
        ("something-new", nil, 60, nil),
    ])
    func progressOfAState(state: String, percent: Double?, total: Int?, expected: RenderProgress?) {
        #expect(NexrenderServerBackend.progress(state: state, percent: percent, totalFrames: total) == expected)
    }

    @Test func finishedWithoutOutputFails() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")], writesOutput: false)
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let job = sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))
        let error = Self.hubError(await Self.render(backend, job).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(job.outputPath) == true)
    }

    // MARK: - Failures

    @Test func errorStateIsRetryableWithTheServersMessage() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var failed = Self.state("error")
        failed["error"] = .array([.string("Error: aerender: After Effects error: layer 'Name 1' not found")])
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("queued"), Self.state("rendering", 30), failed])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let (result, reports) = await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")], frames: 0...9)))
        let error = Self.hubError(result)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("layer 'Name 1' not found") == true)
        #expect(error?.message.contains(StandInNexrender.uid) == true)
        #expect(reports.last == RenderProgress(frame: 3, totalFrames: 10))
        #expect(!server.requests.contains { $0.method == "DELETE" }, "a failed job needs no DELETE")
    }

    @Test func unreachableServerIsUnavailable() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let port = try StandInNexrender.closedPort()
        let backend = try Self.backend(nil, port: port, templates: sandbox.templates)
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(error?.message.contains("HUB_NEXRENDER_URL") == true)
    }

    @Test func malformedAnswerToThePostIsUnavailable() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")]) { request in
            request.method == "POST" ? (200, "<html>nexrender moved</html>") : nil
        }
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("not a JSON object") == true)
        #expect(error?.message.contains("<html>nexrender moved</html>") == true)
    }

    @Test func malformedPollsFailTheAttemptAndDeleteTheJob() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("queued")]) { request in
            request.method == "GET" ? (200, "{\"state\": ") : nil
        }
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates, poll: .milliseconds(10))
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("not a JSON object") == true)
        #expect(server.requests.filter { $0.method == "GET" }.count == NexrenderServerBackend.maxPollFailures)
        #expect(server.requests.last?.method == "DELETE")
    }

    @Test func serverErrorIsUnavailableWithStatusAndWithoutTheEchoedSecret() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")]) { request in
            // A careless server that echoes the header it got.
            request.method == "POST" ? (500, "internal error (nexrender-secret: \(request.headers["nexrender-secret"] ?? ""))") : nil
        }
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("HTTP 500") == true)
        #expect(error?.message.contains("internal error") == true)
    }

    @Test func vanishedJobIsUnavailable() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("queued")]) { request in
            request.method == "GET" ? (404, "{\"error\": \"job not found\"}") : nil
        }
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("no longer has job \(StandInNexrender.uid)") == true)
        #expect(server.requests.filter { $0.method == "GET" }.count == 1, "a 404 is not polled again")
    }

    @Test func wrongSecretIsAConfigurationError() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")])
        defer { server.stop() }
        let wrong = "wrong-Secret-9999"
        let backend = try Self.backend(server, secret: wrong, templates: sandbox.templates)
        let result = await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0
        let error = Self.hubError(result)
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("HUB_NEXRENDER_SECRET") == true)
        #expect(error?.message.contains("does not match") == true)
        #expect(error?.message.contains(wrong) == false)
        #expect(server.requests.map(\.method) == ["POST"])
        #expect(server.requests.first?.headers["nexrender-secret"] == wrong)
    }

    @Test func missingSecretIsAConfigurationErrorSayingWhatToSet() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")])
        defer { server.stop() }
        for secret in [nil, "", "  "] as [String?] {
            let backend = try Self.backend(server, secret: secret, templates: sandbox.templates)
            let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
            #expect(error?.code == .configuration)
            #expect(error?.message.contains("no secret was sent") == true)
            #expect(error?.message.contains("set HUB_NEXRENDER_SECRET") == true)
        }
        #expect(server.requests.allSatisfy { $0.headers["nexrender-secret"] == nil }, "an empty secret is not sent")
    }

    @Test func theSecretIsNotInTheDescription() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let backend = try NexrenderServerBackend(baseURL: URL(string: "http://render-01:3050")!, secret: Self.secret,
                                                 templateDirectory: sandbox.templates)
        var dumped = ""
        dump(backend, to: &dumped)
        for text in [String(describing: backend), String(reflecting: backend), dumped] {
            #expect(!text.contains(Self.secret))
        }
        #expect(String(describing: backend) == "nexrender-server http://render-01:3050")
        let error = #expect(throws: HubError.self) {
            try NexrenderServerBackend(baseURL: URL(string: "ftp://render-01")!, secret: Self.secret, templateDirectory: sandbox.templates)
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("HUB_NEXRENDER_URL") == true)
    }

    @Test func missingTemplateFailsBeforeAnyRequest() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("finished")])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.root.appendingPathComponent("nowhere"))
        let error = Self.hubError(await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")]))).0)
        #expect(error?.code == .configuration)
        #expect(server.requests.isEmpty)
    }

    // MARK: - Where the worker gets the mapping

    @Test func theWorkerLoadsTheMappingOfAGraphicsInstructionAndFallsBackWithoutTheDatabase() async throws {
        let url = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 2)
        try await Migrator(pool: pool).up()
        let redis = try RedisClient(url: endpoints.redisURL)
        defer { Task { await redis.close() } }
        _ = try await LayerMappingStore(pool: pool).importMapping(Self.mapping, sourceFile: "CyprusDesign.yaml")
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis), backend: NoopBackend(),
                                  configuration: RenderWorkerConfiguration())

        let graphic = try Self.instruction(Self.document.jsonObject, composition: Self.composition)
        #expect(await worker.layerMapping(for: graphic) == Self.mapping)
        #expect(await worker.layerMapping(for: try Self.instruction(["Name 1": .string("Ann")])) == nil, "not a graphics instruction")

        // The database goes away: the project read before is still known (kept for 30 s); another
        // project's render goes on without a mapping instead of failing.
        await pool.close()
        #expect(await worker.layerMapping(for: graphic) == Self.mapping)
        var other = graphic
        other.templateName = "other_project"
        #expect(await worker.layerMapping(for: other) == nil)
    }

    // MARK: - Stopping a render

    @Test func cancellingDeletesTheJob() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("queued"), Self.state("rendering", 30)])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates)
        let job = sandbox.job(try Self.instruction(["Name 1": .string("Ann")], frames: 0...59))
        let (reports, reporter) = AsyncStream<RenderProgress>.makeStream()
        let render = Task {
            defer { reporter.finish() }
            return try await backend.render(job) { reporter.yield($0) }
        }
        // Cancel once the render is under way (30 % reported).
        for await report in reports where report.frame > 0 { break }
        render.cancel()
        let result = await render.result
        guard case .failure(let error) = result else { Issue.record("the render was not cancelled"); return }
        #expect(error is CancellationError)
        let delete = server.requests.last
        #expect(delete?.method == "DELETE")
        #expect(delete?.path == "/api/v1/jobs/\(StandInNexrender.uid)")
        #expect(delete?.headers["nexrender-secret"] == Self.secret)
    }

    @Test func aJobWithoutChangeIsDeletedAfterTheInactivityTimeout() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let server = try StandInNexrender(secret: Self.secret, steps: [Self.state("queued"), Self.state("rendering", 30)])
        defer { server.stop() }
        let backend = try Self.backend(server, templates: sandbox.templates, poll: .milliseconds(10), inactivity: .milliseconds(200))
        let (result, reports) = await Self.render(backend, sandbox.job(try Self.instruction(["Name 1": .string("Ann")])))
        let error = Self.hubError(result)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("showed no change") == true)
        #expect(error?.message.contains("still rendering") == true)
        #expect(reports.last == RenderProgress(frame: 30, totalFrames: 100))
        #expect(server.requests.last?.method == "DELETE")
    }
}

// MARK: - The stand-in server

/// A nexrender server stand-in on 127.0.0.1 (an ephemeral port), one thread per connection, one
/// request per connection (`Connection: close`):
///
/// - `POST /api/v1/jobs` records the job and answers it with uid ``uid`` and state `queued`;
/// - `GET /api/v1/jobs/{uid}` answers the next of `steps` (the last one repeats); on `finished`
///   it writes the action-copy output first, as the real action would;
/// - `DELETE /api/v1/jobs/{uid}` is recorded and answered `{}`;
/// - a request without the right `nexrender-secret` gets 401; `override` may answer any request.
final class StandInNexrender: @unchecked Sendable {
    static let uid = "Xk2_9fQz-L"
    static let renderedBytes = Data("rendered by the stand-in".utf8)

    /// A request as received.
    struct Request: Sendable {
        var method: String
        var path: String
        /// Header names in lower case.
        var headers: [String: String]
        var body: Data
    }

    let port: UInt16
    private let listener: Int32
    private let secret: String
    private let steps: [[String: JSONValue]]
    private let writesOutput: Bool
    private let override: @Sendable (Request) -> (Int, String)?
    private let state = PThreadLocked((requests: [Request](), polls: 0, job: [String: JSONValue]?.none))

    /// Starts listening.
    init(secret: String, steps: [[String: JSONValue]], writesOutput: Bool = true,
         override: @escaping @Sendable (Request) -> (Int, String)? = { _ in nil }) throws {
        self.secret = secret
        self.steps = steps
        self.writesOutput = writesOutput
        self.override = override
        (listener, port) = try Self.openListener()
        let listener = listener
        let thread = Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Thread { [self] in self.serve(client) }.start()
            }
        }
        thread.start()
    }

    /// Everything received so far, in order.
    var requests: [Request] { state.withLock { $0.requests } }

    /// Stops accepting connections.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// A port nothing listens on (bound, then closed).
    static func closedPort() throws -> UInt16 {
        let (socket, port) = try openListener()
        close(socket)
        return port
    }

    private static func openListener() throws -> (Int32, UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HubError(.unavailable, "socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw HubError(.unavailable, "bind/listen failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    // MARK: Serving

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = read(client) else { return }
        let (status, body) = answer(request)
        let reason = [200: "OK", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"][status] ?? "Status"
        let payload = Data(body.utf8)
        write(client, Data("HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8) + payload)
    }

    /// Reads one request: the head, then `Content-Length` bytes of body (after a `100 Continue`
    /// when the client expects one, as libcurl does for larger bodies).
    private func read(_ client: Int32) -> Request? {
        var buffer = Data()
        let separator = Data("\r\n\r\n".utf8)
        var chunk = [UInt8](repeating: 0, count: 16_384)
        func receive() -> Bool {
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        while buffer.range(of: separator) == nil {
            guard receive() else { return nil }
        }
        let headEnd = buffer.range(of: separator)!
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Data(buffer[headEnd.upperBound...])
        if body.count < length, headers["expect"]?.lowercased() == "100-continue" {
            write(client, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        while body.count < length {
            buffer = Data()
            guard receive() else { return nil }
            body.append(buffer)
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func write(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    /// The status and body for `request`; records it.
    private func answer(_ request: Request) -> (Int, String) {
        state.withLock { $0.requests.append(request) }
        if let answer = override(request) { return answer }
        guard request.headers["nexrender-secret"] == secret else { return (401, "{\"error\": \"Unauthorized\"}") }
        let jobPath = "/api/v1/jobs/\(Self.uid)"
        switch (request.method, request.path) {
        case ("POST", "/api/v1/jobs"):
            guard let job = try? JSONValue.parse(String(decoding: request.body, as: UTF8.self)).objectValue else {
                return (400, "{\"error\": \"not a job\"}")
            }
            state.withLock { $0.job = job }
            var answer = job
            answer["uid"] = .string(Self.uid)
            answer["state"] = .string("queued")
            return (200, JSONValue.object(answer).canonicalText)
        case ("GET", jobPath):
            let (job, step) = state.withLock { state -> ([String: JSONValue]?, [String: JSONValue]) in
                defer { state.polls += 1 }
                return (state.job, steps[min(state.polls, steps.count - 1)])
            }
            guard var answer = job else { return (404, "{\"error\": \"job not found\"}") }
            if step["state"] == .string("finished"), writesOutput { writeOutput(of: answer) }
            answer["uid"] = .string(Self.uid)
            answer.merge(step) { _, new in new }
            return (200, JSONValue.object(answer).canonicalText)
        case ("DELETE", jobPath):
            return (200, "{}")
        default:
            return (404, "{\"error\": \"no route\"}")
        }
    }

    /// Copies "the result" to the job's `@nexrender/action-copy` output.
    private func writeOutput(of job: [String: JSONValue]) {
        guard case .array(let actions)? = job["actions"]?.objectValue?["postrender"],
              case .string(let output)? = actions.first?.objectValue?["output"] else { return }
        try? Self.renderedBytes.write(to: URL(fileURLWithPath: output))
    }
}
