import Foundation
// Internal argument builders and line parsers are checked directly (debug `swift test`).
@testable import HubCore
import HubTestSupport
import Testing

/// The nexrender and aerender backends: the job file and arguments they produce, how they read the
/// tools' output, and whole renders through fake tools that print the real formats.
@Suite struct RenderBackendTests {
    /// A scratch directory with a template directory holding `leaderboard.aep` and a work directory.
    struct Sandbox {
        let root: URL
        var templates: URL { root.appendingPathComponent("templates") }
        var work: URL { root.appendingPathComponent("work") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-backends-\(UUID())")
            for directory in [root.appendingPathComponent("templates"), root.appendingPathComponent("work")] {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            }
            try Data("RIFX".utf8).write(to: templates.appendingPathComponent("leaderboard.aep"))
        }

        func job(_ instruction: RenderInstruction, ext: String) -> RenderJob {
            RenderJob(instruction: instruction, outputPath: root.appendingPathComponent("out-7-1.\(ext)").path, workDirectory: work)
        }

        /// Writes an executable bash script `name` into the sandbox.
        func tool(_ name: String, _ body: String) throws -> String {
            let url = root.appendingPathComponent(name)
            try ("#!/bin/bash\n" + body).write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            return url.path
        }

        func read(_ name: String) throws -> String {
            try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// The layers of a leaderboard row: Korean name, formatted chips, integer rank, a flag, no photo.
    static let layers: [String: JSONValue] = [
        "Name 1": .string("김민수"), "Chips 1": .string("1,500,000"), "Rank 1": .integer(1),
        "Flag 1": .string("flags/kr.png"), "Photo 1": .null, "Average": .number(12.5), "Logo": .string("/srv/media/wsop.JPG"),
    ]

    /// An instruction as the store returns it (RenderInstruction is Codable, with no public init).
    static func instruction(_ layers: [String: JSONValue] = layers, format: OutputSettings.Format,
                            frames: ClosedRange<Int>? = nil, frameStart: Int? = nil) throws -> RenderInstruction {
        var settings: [String: JSONValue] = ["format": .string(format.rawValue), "width": .integer(1920), "height": .integer(1080), "fps": .integer(30)]
        if let frames {
            settings["frameStart"] = .integer(Int64(frames.lowerBound))
            settings["frameEnd"] = .integer(Int64(frames.upperBound))
        }
        if let frameStart { settings["frameStart"] = .integer(Int64(frameStart)) }
        let json: [String: JSONValue] = [
            "id": .integer(7), "templateName": .string("leaderboard"), "composition": .string("Main"),
            "layerData": .object(layers), "outputSettings": .object(settings),
            "status": .string("processing"), "priority": .integer(5), "trigger": .string("manual"), "retryCount": .integer(0),
            "maxRetries": .integer(3), "attempt": .integer(1), "dataHash": .string(String(repeating: "b", count: 64)),
            "createdAt": .number(0), "scheduledAt": .number(0), "cancelRequested": .bool(false), "requiredTags": .array([]),
        ]
        return try JSONDecoder().decode(RenderInstruction.self, from: Data(JSONValue.object(json).canonicalText.utf8))
    }

    static func fileURL(_ path: String) -> String { URL(fileURLWithPath: path).absoluteString }

    // MARK: - nexrender job file

    @Test func nexrenderJobFileFieldByField() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let job = sandbox.job(try Self.instruction(format: .mov, frames: 0...59), ext: "mov")
        let backend = NexrenderBackend(binary: "/usr/bin/nexrender-cli", templateDirectory: sandbox.templates)
        let file = try backend.writeJobFile(for: job)
        #expect(file.path == sandbox.work.appendingPathComponent("nexrender-job.json").path)
        let document = try #require(try JSONValue.parse(String(contentsOf: file, encoding: .utf8)).objectValue)
        #expect(Set(document.keys) == ["template", "assets", "actions"])

        let template = try #require(document["template"]?.objectValue)
        #expect(Set(template.keys) == ["src", "composition", "outputModule", "outputExt", "frameStart", "frameEnd"])
        #expect(template["src"] == .string(Self.fileURL(sandbox.templates.path + "/leaderboard.aep")))
        #expect(template["composition"] == .string("Main"))
        #expect(template["outputModule"] == .string("Apple ProRes 422"))
        #expect(template["outputExt"] == .string("mov"))
        #expect(template["frameStart"] == .integer(0))
        #expect(template["frameEnd"] == .integer(59))

        // One asset per layer in key order; "Photo 1" has no value and keeps the template's picture.
        guard case .array(let assets) = try #require(document["assets"]) else { Issue.record("assets is not an array"); return }
        let data = { (layer: String, value: String) -> JSONValue in
            .object(["type": .string("data"), "layerName": .string(layer), "property": .string("Source Text"), "value": .string(value)])
        }
        let image = { (layer: String, src: String) -> JSONValue in
            .object(["type": .string("image"), "layerName": .string(layer), "src": .string(src)])
        }
        let expected: [JSONValue] = [
            data("Average", "12.5"),
            data("Chips 1", "1,500,000"),
            image("Flag 1", Self.fileURL(sandbox.templates.path + "/flags/kr.png")),
            image("Logo", "file:///srv/media/wsop.JPG"),
            data("Name 1", "김민수"),
            data("Rank 1", "1"),
        ]
        #expect(assets.count == expected.count)
        for (asset, want) in zip(assets, expected) { #expect(asset == want) }

        let actions = try #require(document["actions"]?.objectValue)
        #expect(actions == ["postrender": .array([.object([
            "module": .string("@nexrender/action-copy"), "input": .string("result.mov"), "output": .string(job.outputPath),
        ])])])
    }

    @Test func nexrenderTemplateForAStillAndAnOpenRange() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let still = try NexrenderBackend.jobDocument(for: sandbox.job(try Self.instruction(format: .png), ext: "png"),
                                                     templateDirectory: sandbox.templates)
        #expect(still.template.outputModule == "PNG Sequence")
        #expect(still.template.outputExt == "png")
        #expect(still.template.frameStart == 0 && still.template.frameEnd == 0)
        #expect(still.actions.postrender.map(\.input) == ["result_00000.png"], "nexrender numbers a still as a sequence")

        let late = try NexrenderBackend.jobDocument(for: sandbox.job(try Self.instruction(format: .png, frameStart: 45), ext: "png"),
                                                    templateDirectory: sandbox.templates)
        #expect(late.template.frameStart == 45 && late.template.frameEnd == 45)
        #expect(late.actions.postrender.map(\.input) == ["result_00045.png"])

        let clip = try NexrenderBackend.jobDocument(for: sandbox.job(try Self.instruction(format: .mp4), ext: "mp4"),
                                                    templateDirectory: sandbox.templates)
        #expect(clip.template.outputModule == "H.264 - Match Render Settings - 15 Mbps")
        #expect(clip.template.outputExt == "mp4")
        #expect(clip.template.frameStart == nil && clip.template.frameEnd == nil)
        #expect(clip.actions.postrender.map(\.input) == ["result.mp4"])
    }

    @Test func nexrenderImageSources() {
        let templates = URL(fileURLWithPath: "/srv/templates")
        #expect(NexrenderBackend.imageSource("https://cdn.example.com/flags/kr.png", templateDirectory: templates)
                == "https://cdn.example.com/flags/kr.png")
        #expect(NexrenderBackend.imageSource("../media/flags/kr.png", templateDirectory: templates) == "file:///srv/media/flags/kr.png")
        #expect(NexrenderBackend.imageSource("/srv/media/태극기 1.png", templateDirectory: templates)
                == "file:///srv/media/%ED%83%9C%EA%B7%B9%EA%B8%B0%201.png")
        #expect(NexrenderBackend.asset(layer: "Photo 2", value: .string(""), templateDirectory: templates) == nil)
        #expect(NexrenderBackend.asset(layer: "Name 2", value: .null, templateDirectory: templates)?.value == "")
        #expect(NexrenderBackend.text(of: .number(1500000)) == "1500000")
    }

    @Test(arguments: [
        ("[Hk3bC9] rendering progress 45%...", 45 as Int?),
        ("[Hk3bC9] rendering progress 100%...", 100),
        ("rendering progress 7%", 7),
        ("[Hk3bC9] rendering job...", nil),
        ("[Hk3bC9] rendering progress %...", nil),
        ("[Hk3bC9] rendering took ~4.2 sec.", nil),
    ])
    func nexrenderProgressLine(line: String, percent: Int?) {
        #expect(NexrenderBackend.parseProgress(line) == percent)
    }

    @Test func missingTemplateIsAConfigurationError() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var instruction = try Self.instruction(format: .mp4)
        instruction.templateName = "no-such-template"
        let error = #expect(throws: HubError.self) {
            try NexrenderBackend.jobDocument(for: sandbox.job(instruction, ext: "mp4"), templateDirectory: sandbox.templates)
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("no-such-template.aep") == true)
    }

    // MARK: - aerender arguments

    @Test func aerenderArgumentsWithAFrameRange() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let job = sandbox.job(try Self.instruction(format: .mp4, frames: 30...89), ext: "mp4")
        let arguments = AerenderBackend.arguments(for: job, project: "/t/leaderboard.aep", renderSettingsTemplate: "Best Settings",
                                                  outputModuleTemplate: nil)
        let expected = ["-project", "/t/leaderboard.aep", "-comp", "Main", "-output", job.outputPath,
                        "-RStemplate", "Best Settings", "-OMtemplate", "H.264 - Match Render Settings - 15 Mbps",
                        "-s", "30", "-e", "89"]
        #expect(arguments.count == expected.count)
        for (index, (actual, want)) in zip(arguments, expected).enumerated() { #expect(actual == want, "argument \(index)") }
    }

    @Test func aerenderArgumentsWithoutAFrameRange() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let job = sandbox.job(try Self.instruction(format: .mov), ext: "mov")
        #expect(AerenderBackend.arguments(for: job, project: "/t/leaderboard.aep", renderSettingsTemplate: "Draft Settings",
                                          outputModuleTemplate: nil)
                == ["-project", "/t/leaderboard.aep", "-comp", "Main", "-output", job.outputPath,
                    "-RStemplate", "Draft Settings", "-OMtemplate", "Apple ProRes 422"])
        #expect(AerenderBackend.arguments(for: job, project: "/t/leaderboard.aep", renderSettingsTemplate: "Best Settings",
                                          outputModuleTemplate: "Lossless with Alpha")
                == ["-project", "/t/leaderboard.aep", "-comp", "Main", "-output", job.outputPath,
                    "-RStemplate", "Best Settings", "-OMtemplate", "Lossless with Alpha"])
    }

    @Test func aerenderArgumentsForAStill() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let job = sandbox.job(try Self.instruction(format: .png), ext: "png")
        let arguments = AerenderBackend.arguments(for: job, project: "/t/leaderboard.aep", renderSettingsTemplate: "Best Settings",
                                                  outputModuleTemplate: nil)
        #expect(arguments == ["-project", "/t/leaderboard.aep", "-comp", "Main",
                              "-output", sandbox.work.appendingPathComponent("still_[#####].png").path,
                              "-RStemplate", "Best Settings", "-OMtemplate", "PNG Sequence", "-s", "0", "-e", "0"])
        let late = sandbox.job(try Self.instruction(format: .png, frameStart: 45), ext: "png")
        #expect(AerenderBackend.arguments(for: late, project: "/t/leaderboard.aep", renderSettingsTemplate: "Best Settings",
                                          outputModuleTemplate: nil).suffix(4) == ["-s", "45", "-e", "45"])
    }

    @Test func outputModuleMapping() {
        #expect(AerenderBackend.outputModuleTemplate(for: .mp4) == "H.264 - Match Render Settings - 15 Mbps")
        #expect(AerenderBackend.outputModuleTemplate(for: .mov) == "Apple ProRes 422")
        #expect(AerenderBackend.outputModuleTemplate(for: .png) == "PNG Sequence")
    }

    // MARK: - aerender output

    @Test func aerenderLines() {
        #expect(AerenderBackend.parseLine("PROGRESS:  0:00:01:05 (36): 0 Seconds") == .frame(36))
        #expect(AerenderBackend.parseLine("PROGRESS:  0;00;01;05 (36): 0 Seconds\r") == .frame(36))
        #expect(AerenderBackend.parseLine("PROGRESS:      Duration: 0:00:02:00")
                == .duration(.init(hours: 0, minutes: 0, seconds: 2, frames: 0)))
        #expect(AerenderBackend.parseLine("PROGRESS:      Frame Rate: 29.97 (comp)") == .frameRate(29.97))
        #expect(AerenderBackend.parseLine("PROGRESS:  Total Time Elapsed: 6 Seconds") == .totalTime("6 Seconds"))
        #expect(AerenderBackend.parseLine("PROGRESS:  Finished composition \"Main\".") == .finished(composition: "Main"))
        #expect(AerenderBackend.parseLine("PROGRESS:  1/15/2025 2:03:17 PM: Finished composition “Lower Third”.")
                == .finished(composition: "Lower Third"))
        #expect(AerenderBackend.parseLine("aerender Error: After Effects error: out of memory.")
                == .error("After Effects error: out of memory."))
        #expect(AerenderBackend.parseLine("PROGRESS:      Size: 1920 x 1080") == nil)
        #expect(AerenderBackend.parseLine("PROGRESS:      Color: Premultiplied (Matted)") == nil)
        #expect(AerenderBackend.parseLine("aerender version 23.6x73") == nil)
    }

    @Test func aerenderProgressFromARecordedTranscript() {
        let lines = AerenderTranscripts.success.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for expectedFrames in [30, nil] as [Int?] {
            var transcript = AerenderBackend.Transcript(expectedFrames: expectedFrames)
            let reports = lines.compactMap { transcript.consume($0) }
            #expect(reports.map(\.frame) == Array(1...30))
            #expect(reports.allSatisfy { $0.totalFrames == 30 }, "from the settings or from Duration × Frame Rate")
            #expect(transcript.lastFrame == 30)
            #expect(transcript.duration == .init(hours: 0, minutes: 0, seconds: 1, frames: 0))
            #expect(transcript.frameRate == 30)
            #expect(transcript.finishedComposition == "Main")
            #expect(transcript.totalTimeElapsed == "6 Seconds")
            #expect(transcript.errors.isEmpty)
        }
    }

    @Test func aerenderErrorsFromARecordedTranscript() {
        var transcript = AerenderBackend.Transcript(expectedFrames: 30)
        let reports = AerenderTranscripts.missingComposition.split(separator: "\n").compactMap { transcript.consume(String($0)) }
        #expect(reports.isEmpty)
        #expect(transcript.errors == ["After Effects error: Couldn’t find composition named \"Main\".",
                                      "No comp was found with the given name."])
        #expect(transcript.finishedComposition == nil)
    }

    // MARK: - Whole renders with fake tools

    /// A nexrender-cli stand-in: reads the copy action's output path from the job file and prints
    /// what nexrender prints (its progress lines and the final verdict).
    static let fakeNexrender = """
        dir="$(dirname "$0")"
        printf '%s\\n' "$@" > "$dir/nexrender-args.txt"
        [ "$1" = "--file" ] || { echo "you need to provide a nexrender job json as an argument"; exit 1; }
        out="$(sed -n 's/^ *"output" *: *"\\(.*\\)",\\{0,1\\}$/\\1/p' "$2")"
        echo "> starting nexrender-cli"
        echo "[Hk3bC9] setting up job..."
        echo "[Hk3bC9] working directory is: /tmp/nexrender/Hk3bC9"
        echo "[Hk3bC9] downloading assets..."
        echo "[Hk3bC9] rendering job..."
        for p in 0 25 50 75 100; do echo "[Hk3bC9] rendering progress $p%..."; done
        echo "[Hk3bC9] rendering took ~4.2 sec."
        echo "[Hk3bC9] applying postrender actions..."
        printf 'rendered by fake nexrender' > "$out"
        echo "[Hk3bC9] cleaning up..."
        echo "> job rendering successfully finished"

        """

    @Test func nexrenderRendersThroughTheCLI() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let binary = try sandbox.tool("nexrender-cli", Self.fakeNexrender)
        let job = sandbox.job(try Self.instruction(format: .mov, frames: 0...59), ext: "mov")
        let backend = NexrenderBackend(binary: binary, templateDirectory: sandbox.templates, inactivityTimeout: .seconds(20),
                                       extraArguments: ["--skip-cleanup"])
        #expect(backend.name == "nexrender")
        let seen = LockedBox<[RenderProgress]>([])
        let output = try await backend.render(job) { report in seen.withLock { $0.append(report) } }
        #expect(output == RenderStore.Output(path: job.outputPath, fileSize: Int64("rendered by fake nexrender".utf8.count), frameCount: 60))
        #expect(try String(contentsOfFile: job.outputPath, encoding: .utf8) == "rendered by fake nexrender")
        #expect(seen.withLock { $0 } == [0, 15, 30, 45, 60].map { RenderProgress(frame: $0, totalFrames: 60) })
        #expect(try sandbox.read("nexrender-args.txt")
                == "--file\n\(sandbox.work.appendingPathComponent("nexrender-job.json").path)\n--skip-cleanup\n")
    }

    @Test func nexrenderFailureIsAnErrorEvenWithExitStatusZero() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let binary = try sandbox.tool("nexrender-cli", """
            echo "> starting nexrender-cli"
            echo "[Hk3bC9] rendering job..."
            echo "> job rendering failed"
            echo "Error: Couldn't find a result file"
            echo "    at ChildProcess.<anonymous> (/snapshot/nexrender/packages/nexrender-core/src/tasks/render.js:140:31)"
            exit 0

            """)
        let backend = NexrenderBackend(binary: binary, templateDirectory: sandbox.templates, inactivityTimeout: .seconds(20))
        let job = sandbox.job(try Self.instruction(format: .mp4), ext: "mp4")
        let error = await #expect(throws: HubError.self) { _ = try await backend.render(job) { _ in } }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("Error: Couldn't find a result file") == true, "\(String(describing: error))")
    }

    /// An aerender stand-in: records its arguments and the bound data it was given, prints a
    /// recorded transcript and writes the output where `-output` says (a still's `[#####]` becomes
    /// the frame number, as After Effects does).
    static func fakeAerender(exitStatus: Int) -> String {
        """
        dir="$(dirname "$0")"
        printf '%s\\n' "$@" > "$dir/aerender-args.txt"
        cp "$HUB_RENDER_DATA" "$dir/aerender-data.json"
        out=""
        while [ $# -gt 0 ]; do
            if [ "$1" = "-output" ]; then out="$2"; shift; fi
            shift
        done
        cat "$dir/transcript.txt"
        [ \(exitStatus) -eq 0 ] || exit \(exitStatus)
        printf 'rendered by fake aerender' > "${out/\\[#####\\]/00000}"

        """
    }

    @Test func aerenderRendersAClip() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try AerenderTranscripts.success.write(to: sandbox.root.appendingPathComponent("transcript.txt"), atomically: true, encoding: .utf8)
        let binary = try sandbox.tool("aerender", Self.fakeAerender(exitStatus: 0))
        let job = sandbox.job(try Self.instruction(format: .mov, frames: 0...29), ext: "mov")
        let backend = AerenderBackend(binary: binary, templateDirectory: sandbox.templates, inactivityTimeout: .seconds(20))
        #expect(backend.name == "aerender")
        let seen = LockedBox<[RenderProgress]>([])
        let output = try await backend.render(job) { report in seen.withLock { $0.append(report) } }
        #expect(output == RenderStore.Output(path: job.outputPath, fileSize: Int64("rendered by fake aerender".utf8.count), frameCount: 30))
        #expect(seen.withLock { $0 } == (1...30).map { RenderProgress(frame: $0, totalFrames: 30) })

        let project = sandbox.templates.appendingPathComponent("leaderboard.aep").path
        #expect(try sandbox.read("aerender-args.txt").split(separator: "\n").map(String.init)
                == ["-project", project, "-comp", "Main", "-output", job.outputPath, "-RStemplate", "Best Settings",
                    "-OMtemplate", "Apple ProRes 422", "-s", "0", "-e", "29"])
        // HUB_RENDER_DATA named <work>/data.json holding the bound layer map.
        #expect(try JSONValue.parse(sandbox.read("aerender-data.json")) == .object(Self.layers))
        #expect(FileManager.default.fileExists(atPath: sandbox.work.appendingPathComponent("data.json").path))
    }

    @Test func aerenderRendersAStill() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try AerenderTranscripts.success.write(to: sandbox.root.appendingPathComponent("transcript.txt"), atomically: true, encoding: .utf8)
        let binary = try sandbox.tool("aerender", Self.fakeAerender(exitStatus: 0))
        let job = sandbox.job(try Self.instruction(format: .png), ext: "png")
        let backend = AerenderBackend(binary: binary, templateDirectory: sandbox.templates, inactivityTimeout: .seconds(20))
        let output = try await backend.render(job) { _ in }
        #expect(output.path == job.outputPath)
        #expect(output.frameCount == 1)
        #expect(try String(contentsOfFile: job.outputPath, encoding: .utf8) == "rendered by fake aerender")
    }

    @Test func aerenderFailureCarriesTheFirstError() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try AerenderTranscripts.missingComposition.write(to: sandbox.root.appendingPathComponent("transcript.txt"),
                                                         atomically: true, encoding: .utf8)
        let binary = try sandbox.tool("aerender", Self.fakeAerender(exitStatus: 1))
        let job = sandbox.job(try Self.instruction(format: .mp4), ext: "mp4")
        let backend = AerenderBackend(binary: binary, templateDirectory: sandbox.templates, inactivityTimeout: .seconds(20))
        let seen = LockedBox<[RenderProgress]>([])
        let error = await #expect(throws: HubError.self) {
            _ = try await backend.render(job) { report in seen.withLock { $0.append(report) } }
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "aerender exited with status 1: After Effects error: Couldn’t find composition named \"Main\".")
        #expect(seen.withLock { $0 }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: job.outputPath))
    }
}
