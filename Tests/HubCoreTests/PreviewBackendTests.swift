import Foundation
import HubCore
import HubTestSupport
import Testing

@Suite struct PreviewBackendTests {
    func instruction(format: OutputSettings.Format, frames: ClosedRange<Int>? = nil, fps: Int = 30) throws -> RenderInstruction {
        // RenderInstruction is Codable: build one as the store would return it.
        let settings = OutputSettings(format: format, fps: fps, frameStart: frames?.lowerBound, frameEnd: frames?.upperBound)
        let json: [String: JSONValue] = [
            "id": .integer(7), "templateName": .string("leaderboard"), "composition": .string("Main"),
            "layerData": .object(["Name 1": .string("김민수"), "Chips 1": .string("1,500,000"), "Tricky": .string("50% off: 'quotes' \\ and ;")]),
            "outputSettings": .object(["format": .string(settings.format.rawValue), "width": .integer(1920), "height": .integer(1080),
                                       "fps": .integer(Int64(fps))].merging(frames.map { ["frameStart": .integer(Int64($0.lowerBound)), "frameEnd": .integer(Int64($0.upperBound))] } ?? [:]) { $1 }),
            "status": .string("processing"), "priority": .integer(5), "trigger": .string("manual"), "retryCount": .integer(0),
            "maxRetries": .integer(3), "attempt": .integer(1), "dataHash": .string(String(repeating: "a", count: 64)),
            "createdAt": .number(0), "scheduledAt": .number(0), "cancelRequested": .bool(false), "requiredTags": .array([]),
        ]
        return try JSONDecoder().decode(RenderInstruction.self, from: Data(JSONValue.object(json).canonicalText.utf8))
    }

    func probe(_ path: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_entries",
            "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "default=noprint_wrappers=1", path])
        #expect(result.status == 0, "ffprobe: \(result.stderr)")
        return result.stdout
    }

    func render(_ instruction: RenderInstruction, ext: String) async throws -> (RenderStore.Output, [RenderProgress]) {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hub-preview-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let job = RenderJob(instruction: instruction, outputPath: work.appendingPathComponent("out.\(ext)").path, workDirectory: work)
        let seen = LockedBox<[RenderProgress]>([])
        let output = try await PreviewBackend().render(job) { progress in seen.withLock { $0.append(progress) } }
        return (output, seen.withLock { $0 })
    }

    @Test func stillIsA1920x1080PNG() async throws {
        let (output, _) = try await render(try instruction(format: .png), ext: "png")
        let info = try await probe(output.path)
        #expect(info.contains("codec_name=png"))
        #expect(info.contains("width=1920"))
        #expect(info.contains("height=1080"))
        #expect((output.fileSize ?? 0) > 1000)
    }

    @Test func clipHasTheFrameRangeAtTheFrameRate() async throws {
        let (output, progress) = try await render(try instruction(format: .mp4, frames: 0...59, fps: 30), ext: "mp4")
        let info = try await probe(output.path)
        #expect(info.contains("codec_name=h264"))
        #expect(info.contains("width=1920") && info.contains("height=1080"))
        #expect(info.contains("nb_read_frames=60"))
        #expect(info.contains("duration=2.0"))
        #expect(output.frameCount == 60)
        #expect(progress.last?.frame == 60, "ffmpeg's progress reached the last frame")
    }

    @Test func captionCarriesEveryBoundFieldVerbatim() throws {
        let caption = PreviewBackend.caption(for: try instruction(format: .png))
        // Numbered slot layers become one row per slot (name before chips), singles stay "layer: value".
        #expect(caption.contains(" 1.  김민수   1,500,000"))
        #expect(caption.contains("Tricky: 50% off: 'quotes' \\ and ;"))
    }

    @Test func captionShowsAThirtySlotLeaderboardRowByRowWithoutEmptySlots() throws {
        var base = try instruction(format: .png)
        var layers: [String: JSONValue] = ["Title": .string("Chip leaders")]
        for slot in 1...30 {
            layers["Rank \(slot)"] = .string(slot <= 25 ? String(slot) : "")
            layers["Name \(slot)"] = .string(slot <= 25 ? "Player \(slot)" : "")
            layers["Chips \(slot)"] = .string(slot <= 25 ? "\(slot),000" : "")
            layers["Flag \(slot)"] = .string(slot <= 25 ? "/srv/media/flags/KR.png" : "")
        }
        base.layerData = layers
        let lines = PreviewBackend.caption(for: base).split(separator: "\n").map(String.init)
        #expect(lines.contains("Title: Chip leaders"))
        #expect(lines.contains("25.  25   Player 25   25,000   KR.png"))
        #expect(lines.filter { $0.contains("Player ") }.count == 25, "the five empty slots are left out")
    }
}
