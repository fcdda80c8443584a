import Foundation
// The backends' frame helpers are internal: checked directly (debug `swift test`).
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Issue 13 item 1: frame numbers near `Int.max` must be refused at submit, and a claimed
/// instruction carrying them anyway (a row written by SQL) must fail its job — never trap the
/// worker process in the backends' `end - start + 1`.
@Suite struct RenderBackendLimitsTests {
    static let huge = OutputSettings(format: .mov, frameStart: 0, frameEnd: Int.max)
    static let hugeRanges: [OutputSettings] = [
        huge,
        OutputSettings(format: .mov, frameStart: 1, frameEnd: Int.max - 1),
        OutputSettings(format: .mp4, frameStart: 0, frameEnd: 2_000_000),         // two million frames
        OutputSettings(format: .mp4, frameEnd: 20_000_000),                       // beyond the last frame number
        OutputSettings(format: .png, frameStart: Int.max),                        // a still at an absurd frame
        OutputSettings(format: .mov, frameStart: Int.min, frameEnd: Int.max),
        OutputSettings(format: .mp4, width: Int.max, height: 1080),
        OutputSettings(format: .mp4, fps: Int.max),
    ]

    /// An instruction as the store would decode it from a row written by hand.
    static func instruction(_ settings: OutputSettings) throws -> RenderInstruction {
        let encoded = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(settings))
        let json: [String: JSONValue] = [
            "id": .integer(7), "templateName": .string("leaderboard"), "composition": .string("Main"),
            "layerData": .object(["Name 1": .string("Phil Ivey")]), "outputSettings": encoded,
            "status": .string("processing"), "priority": .integer(5), "trigger": .string("manual"), "retryCount": .integer(0),
            "maxRetries": .integer(3), "attempt": .integer(1), "dataHash": .string(String(repeating: "c", count: 64)),
            "createdAt": .number(0), "scheduledAt": .number(0), "cancelRequested": .bool(false), "requiredTags": .array([]),
        ]
        return try JSONDecoder().decode(RenderInstruction.self, from: Data(JSONValue.object(json).canonicalText.utf8))
    }

    static func job(_ settings: OutputSettings) throws -> RenderJob {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hub-limits-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return RenderJob(instruction: try instruction(settings), outputPath: work.appendingPathComponent("out.mov").path, workDirectory: work)
    }

    @Test(arguments: hugeRanges)
    func validationRefusesFramesAndSizesNoRendererCanUse(settings: OutputSettings) {
        let error = #expect(throws: HubError.self) { try settings.validate() }
        #expect(error?.code == .usage)
    }

    @Test func theLimitsThemselvesAreAccepted() throws {
        try OutputSettings(format: .mov, frameStart: 0, frameEnd: 999_999).validate()
        try OutputSettings(format: .mov, frameStart: 9_999_990, frameEnd: 10_000_000).validate()
        try OutputSettings(format: .png, width: 8192, height: 8192, fps: 240, frameStart: 10_000_000).validate()
        #expect(try AerenderBackend.expectedFrames(OutputSettings(format: .mov, frameStart: 10, frameEnd: 69)) == 60)
        #expect(try PreviewBackend.frameCount(OutputSettings(format: .mov, frameStart: 10, frameEnd: 69)) == 60)
        #expect(try PreviewBackend.frameCount(OutputSettings(format: .mp4, fps: 25)) == 75)
    }

    @Test(arguments: hugeRanges)
    func frameHelpersThrowInsteadOfTrapping(settings: OutputSettings) {
        // Before the fix these trapped (`end - start + 1` overflowing), killing the whole process.
        #expect(throws: HubError.self) { try AerenderBackend.expectedFrames(settings) }
        #expect(throws: HubError.self) { try PreviewBackend.frameCount(settings) }
        #expect(throws: HubError.self) { try PreviewBackend.outputArguments(settings, path: "/tmp/out.mov") }
    }

    @Test func aerenderTimecodesTooLargeToCountAreNotCounted() {
        let span = AerenderBackend.Timecode(hours: Int.max / 2, minutes: 59, seconds: 59, frames: Int.max)
        #expect(span.frameCount(fps: 30) == nil)
        #expect(AerenderBackend.Timecode(hours: 0, minutes: 0, seconds: 2, frames: 5).frameCount(fps: 29.97) == 65)
        #expect(AerenderBackend.Timecode(hours: 0, minutes: 0, seconds: 2, frames: 5).frameCount(fps: .infinity) == nil)
    }

    /// A chip-flow chart from layer data with Int64's extremes draws (its span was `max − min` in Int64).
    @Test func aChipFlowWithExtremeStacksDrawsWithoutTrapping() {
        let document = GFXDataDocument(compName: "Chip Flow", renderType: "chip_flow", category: "chip_display",
                                       chipFlow: .init(playerName: "X", chips10h: [], chips20h: [], chips30h: [Int64.max, Int64.min, 0],
                                                       hands30h: [], maxLabel: "", minLabel: ""),
                                       metadata: .init(generatedAt: ""))
        let scene = PreviewScene(document: document, width: 1920, height: 1080)
        #expect(scene.width == 1920)
    }

    /// Every backend fails such a job with the settings' message, before it starts any program.
    @Test func everyBackendFailsAJobWithHugeFrames() async throws {
        let templates = FileManager.default.temporaryDirectory.appendingPathComponent("hub-limits-templates-\(UUID())")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try Data("RIFX".utf8).write(to: templates.appendingPathComponent("leaderboard.aep"))
        var backends: [any RenderBackend] = [
            AerenderBackend(binary: "/bin/true", templateDirectory: templates),
            NexrenderBackend(binary: "/bin/true", templateDirectory: templates),
            try NexrenderServerBackend(baseURL: URL(string: "http://127.0.0.1:1")!, secret: nil, templateDirectory: templates),
            CommandBackend(executable: "/bin/true"),
        ]
        if let preview = try? PreviewBackend() { backends.append(preview) }
        for backend in backends {
            let job = try Self.job(Self.huge)
            let error = await #expect(throws: HubError.self, "\(backend.name)") {
                _ = try await backend.render(job) { _ in }
            }
            #expect(error?.code == .usage, "\(backend.name): \(String(describing: error))")
            #expect(error?.message.contains("frame") == true, "\(backend.name): \(String(describing: error))")
        }
    }
}

/// The same limits at the queue: a submission with huge frames is refused and nothing is written.
@Suite struct RenderStoreLimitsTests {
    @Test func submitRefusesHugeFrames() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        let store = RenderStore(pool: pool)
        for settings in RenderBackendLimitsTests.hugeRanges {
            let error = await #expect(throws: HubError.self) {
                try await store.submit(RenderSubmission(templateName: "leaderboard", outputSettings: settings), actor: "test")
            }
            #expect(error?.code == .usage)
        }
        #expect(try await store.list().isEmpty, "nothing of a refused submission is written")
        await pool.close()
    }

    /// A renderer printing a frame number beyond the integer columns must not fail the heartbeat
    /// (which would let the lease expire and count a crash): the progress is clamped.
    @Test func aHeartbeatWithAWildFrameNumberStillExtendsTheLease() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        let store = RenderStore(pool: pool)
        let job = try await store.submit(RenderSubmission(templateName: "wild"), actor: "test").instruction
        let claim = try #require(try await store.claim(job.id, worker: "render-01-1", lease: .seconds(30)))
        try await store.heartbeat(claim, lease: .seconds(30), frame: Int.max, totalFrames: 5_000_000_000)
        let now = try await store.instruction(job.id)
        #expect(now.progressFrame == Int(Int32.max))
        #expect(now.progressTotal == Int(Int32.max))
        await pool.close()
    }
}
