import Foundation
import HubDriverSupport

/// Renders with After Effects' command-line renderer (SPEC §5 `aerender`):
///
/// ```
/// aerender -project <templateDirectory>/<templateName>.aep -comp <composition> -output <path>
///          -RStemplate <renderSettingsTemplate> -OMtemplate <outputModule> [-s <frameStart>] [-e <frameEnd>]
/// ```
///
/// **Bound data.** aerender cannot replace layer text by itself, so the project is expected to
/// read it: the backend writes the layer map (``RenderJob/layers``: the bound layers, or a graphics
/// instruction's fields named through the project's layer mapping) to `<workDirectory>/data.json`
/// (an object of layer name → value, keys sorted) and passes that file's path in the environment variable
/// `HUB_RENDER_DATA`. A startup script or expression in the template reads it
/// (`$.getenv("HUB_RENDER_DATA")`) and sets the layers. The process is started as
/// `/usr/bin/env HUB_RENDER_DATA=<path> <aerender> <arguments…>` because the shared process
/// supervisor does not take an environment; `env` replaces itself with aerender, so the process
/// group that is terminated on cancellation or silence is still aerender's.
///
/// **Output module.** ``outputModuleTemplate(for:)`` unless `outputModuleTemplate` is set.
/// A PNG is a still: frame `frameStart` (0 when unset) alone is rendered through the
/// "PNG Sequence" template into `<workDirectory>/still_[#####].png` and then moved to the output
/// path, because a sequence template numbers its files and would never write the output name
/// as given.
///
/// **Progress and errors.** Lines like `PROGRESS:  0:00:01:05 (36): 0 Seconds` report the 36th
/// frame done; the total is the frame range, or the `Duration` × `Frame Rate` aerender prints in
/// its header. Lines starting `aerender Error:` are collected; a failed render's message carries
/// the first. The render succeeds only when aerender exits 0 and the output file is not empty.
package struct AerenderBackend: RenderBackend {
    /// "aerender", the name `--backend` uses.
    package var name: String { "aerender" }
    /// The aerender executable.
    package let binary: String
    /// Where `<templateName>.aep` projects live.
    package let templateDirectory: URL
    /// The render settings template (`-RStemplate`).
    package let renderSettingsTemplate: String
    /// The output module template (`-OMtemplate`); nil picks one from the output format.
    package let outputModuleTemplate: String?
    /// Kill aerender after this long without output.
    package let inactivityTimeout: Duration

    /// Creates the backend.
    /// - Parameters:
    ///   - binary: the path of aerender.
    ///   - templateDirectory: the directory holding `<templateName>.aep` projects.
    ///   - renderSettingsTemplate: a render settings template defined in After Effects.
    ///   - outputModuleTemplate: an output module template; nil maps the output format
    ///     through ``outputModuleTemplate(for:)``.
    ///   - inactivityTimeout: how long aerender may print nothing before it is killed.
    package init(binary: String, templateDirectory: URL, renderSettingsTemplate: String = "Best Settings",
                outputModuleTemplate: String? = nil, inactivityTimeout: Duration = .seconds(300)) {
        self.binary = binary
        self.templateDirectory = templateDirectory
        self.renderSettingsTemplate = renderSettingsTemplate
        self.outputModuleTemplate = outputModuleTemplate
        self.inactivityTimeout = inactivityTimeout
    }

    /// The After Effects output module template for a format: mp4 → "H.264 - Match Render
    /// Settings - 15 Mbps", mov → "Apple ProRes 422", png → "PNG Sequence" (templates that ship
    /// with After Effects 2023 and later). The codec setting is not consulted: the template fixes it.
    package static func outputModuleTemplate(for format: OutputSettings.Format) -> String {
        switch format {
        case .mp4: "H.264 - Match Render Settings - 15 Mbps"
        case .mov: "Apple ProRes 422"
        case .png: "PNG Sequence"
        }
    }

    /// Writes the bound data, runs aerender and checks the output.
    /// - Throws: ``HubError`` `.configuration` for a missing binary or template project, `.unavailable`
    ///   when aerender fails (with its first `aerender Error:`), falls silent or leaves no output.
    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        // First: settings no renderer may use (a row written around the API) fail the job here.
        let expectedFrames = try Self.expectedFrames(job.instruction.outputSettings)
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HubError(.configuration, "aerender was not found at \(binary): install After Effects on this render machine or configure the path of its aerender")
        }
        guard !binary.contains("=") else {
            throw HubError(.configuration, "the aerender path \(binary) contains '=', which /usr/bin/env would read as a variable: use a symbolic link without '='")
        }
        let project = try Self.templateProject(job.instruction.templateName, in: templateDirectory)
        let dataFile = job.workDirectory.appendingPathComponent("data.json")
        try Self.dataFileContents(job.layers).write(to: dataFile)
        let arguments = Self.arguments(for: job, project: project.path, renderSettingsTemplate: renderSettingsTemplate,
                                       outputModuleTemplate: outputModuleTemplate)
        let transcript = PThreadLocked(Transcript(expectedFrames: expectedFrames))
        let run = try await SupervisedProcess.run(
            executable: "/usr/bin/env", arguments: ["HUB_RENDER_DATA=\(dataFile.path)", binary] + arguments,
            inactivityTimeout: inactivityTimeout
        ) { line in
            if let report = transcript.withLock({ $0.consume(line) }) { await progress(report) }
        }
        let seen = transcript.withLock { $0 }
        guard run.status == 0 else {
            if run.timedOut {
                throw HubError(.unavailable, "aerender printed nothing for \(inactivityTimeout) and was killed: raise the renderer timeout if After Effects needs longer to open \(project.lastPathComponent)")
            }
            throw HubError(.unavailable, "aerender exited with status \(run.status): \(Self.failureDetail(seen, run: run, job: job))")
        }
        if job.instruction.outputSettings.format == .png { try Self.moveStill(of: job) }
        guard let size = Self.fileSize(at: job.outputPath), size > 0 else {
            throw HubError(.unavailable, "aerender exited 0 but wrote no output at \(job.outputPath): \(Self.failureDetail(seen, run: run, job: job))")
        }
        return RenderStore.Output(path: job.outputPath, fileSize: size, frameCount: seen.totalFrames ?? seen.lastFrame)
    }

    /// The first `aerender Error:` line, else the last lines printed, else a hint.
    private static func failureDetail(_ transcript: Transcript, run: SupervisedProcess.Result, job: RenderJob) -> String {
        if let first = transcript.errors.first { return first }
        let tail = run.lastLines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(3).joined(separator: " | ")
        return tail.isEmpty ? "it printed no error; check composition \(job.instruction.composition) and the output module" : tail
    }

    // MARK: - Arguments

    /// The aerender arguments for `job`: `-project -comp -output -RStemplate -OMtemplate [-s] [-e]`.
    static func arguments(for job: RenderJob, project: String, renderSettingsTemplate: String, outputModuleTemplate: String?) -> [String] {
        let settings = job.instruction.outputSettings
        var arguments = ["-project", project, "-comp", job.instruction.composition, "-output", renderedPath(for: job),
                         "-RStemplate", renderSettingsTemplate,
                         "-OMtemplate", outputModuleTemplate ?? Self.outputModuleTemplate(for: settings.format)]
        let range = frameRange(settings)
        if let start = range.start { arguments += ["-s", String(start)] }
        if let end = range.end { arguments += ["-e", String(end)] }
        return arguments
    }

    /// The frames asked for: the settings' range for clips; one frame (`frameStart`, default 0) for a still.
    static func frameRange(_ settings: OutputSettings) -> (start: Int?, end: Int?) {
        if settings.format == .png {
            let frame = settings.frameStart ?? 0
            return (frame, frame)
        }
        return (settings.frameStart, settings.frameEnd)
    }

    /// Frames in all when the settings say: a closed range, or 1 for a still.
    /// - Throws: ``HubError`` `.usage` (``OutputSettings/validate()``) for settings no renderer may
    ///   use — a row written around the API fails its job here instead of overflowing.
    static func expectedFrames(_ settings: OutputSettings) throws -> Int? {
        try settings.validate()
        let range = frameRange(settings)
        guard let start = range.start, let end = range.end, end >= start else { return nil }
        let (difference, overflow) = end.subtractingReportingOverflow(start)
        guard !overflow, difference < OutputSettings.maximumFrameCount else {
            throw HubError(.usage, "frames \(start)…\(end) are more than \(OutputSettings.maximumFrameCount) frames")
        }
        return difference + 1
    }

    /// Where aerender writes: the output path for clips; a numbered file in the work directory for a still.
    static func renderedPath(for job: RenderJob) -> String {
        guard job.instruction.outputSettings.format == .png else { return job.outputPath }
        return job.workDirectory.appendingPathComponent("still_[#####].png").path
    }

    /// Moves the one numbered still aerender wrote to the output path.
    private static func moveStill(of job: RenderJob) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: job.workDirectory.path)) ?? []
        guard let name = names.filter({ $0.hasPrefix("still_") && $0.hasSuffix(".png") }).sorted().first else { return }
        let destination = URL(fileURLWithPath: job.outputPath)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: job.workDirectory.appendingPathComponent(name), to: destination)
    }

    // MARK: - Shared with NexrenderBackend

    /// `<directory>/<templateName>.aep`, which must exist.
    /// - Throws: ``HubError`` `.configuration` for a name that is not a plain file name or a missing project.
    static func templateProject(_ templateName: String, in directory: URL) throws -> URL {
        guard !templateName.isEmpty, !templateName.contains("/"), !templateName.contains("\\"), templateName != ".." else {
            throw HubError(.configuration, "template name '\(templateName)' is not a plain file name: name templates after their .aep file")
        }
        let project = directory.appendingPathComponent("\(templateName).aep")
        guard FileManager.default.fileExists(atPath: project.path) else {
            throw HubError(.configuration, "template project \(project.path) does not exist: copy \(templateName).aep into \(directory.path) on this render machine")
        }
        return project
    }

    /// The bound layer map as pretty JSON with sorted keys.
    static func dataFileContents(_ layerData: [String: JSONValue]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(layerData))
    }

    /// The size of the file at `path`, or nil when there is none.
    static func fileSize(at path: String) -> Int64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value
    }
}

// MARK: - Reading aerender's output

extension AerenderBackend {
    /// A line of aerender's output that matters to the backend.
    enum Line: Equatable, Sendable {
        /// `PROGRESS:  0:00:01:05 (36): 0 Seconds`: the 36th frame (1-based) of this render is done.
        case frame(Int)
        /// `PROGRESS:      Duration: 0:00:02:00` in the header: the length of the time span rendered.
        case duration(Timecode)
        /// `PROGRESS:      Frame Rate: 30.00 (comp)` in the header.
        case frameRate(Double)
        /// `PROGRESS:  1/10/2024 3:12:35 PM: Finished composition “Main”.` (the date is optional).
        case finished(composition: String)
        /// `PROGRESS:  Total Time Elapsed: 8 Seconds`.
        case totalTime(String)
        /// `aerender Error: After Effects error: …`: the text after the first colon.
        case error(String)
    }

    /// An After Effects timecode `H:MM:SS:FF` (`;` in drop-frame timecode), or a plain frame count.
    struct Timecode: Equatable, Sendable {
        var hours = 0, minutes = 0, seconds = 0, frames = 0

        /// The frames this span holds at `fps`; nil when aerender printed a span or rate too
        /// large to count (computed in floating point, so no field value can overflow).
        func frameCount(fps: Double) -> Int? {
            let total = ((Double(hours) * 60 + Double(minutes)) * 60 + Double(seconds)) * fps.rounded() + Double(frames)
            guard total.isFinite, total >= 0, total <= Double(Int32.max) else { return nil }
            return Int(total)
        }

        /// Parses `0:00:01:05`, `0;00;01;05` or `35`.
        init?(_ text: some StringProtocol) {
            let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == ";" })
            let numbers = parts.compactMap { Int($0) }
            guard !numbers.isEmpty, numbers.count == parts.count, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
            switch numbers.count {
            case 1: frames = numbers[0]
            case 4: (hours, minutes, seconds, frames) = (numbers[0], numbers[1], numbers[2], numbers[3])
            default: return nil
            }
        }

        /// A timecode from its fields.
        init(hours: Int, minutes: Int, seconds: Int, frames: Int) {
            (self.hours, self.minutes, self.seconds, self.frames) = (hours, minutes, seconds, frames)
        }
    }

    /// Classifies one line of aerender's output; nil for lines that do not matter.
    static func parseLine(_ line: String) -> Line? {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.lowercased().hasPrefix("aerender error") {
            let text = trimmed.drop(while: { $0 != ":" }).dropFirst().trimmingCharacters(in: .whitespaces)
            return .error(text.isEmpty ? trimmed : text)
        }
        guard trimmed.hasPrefix("PROGRESS:") else { return nil }
        let body = trimmed.dropFirst("PROGRESS:".count).trimmingCharacters(in: .whitespaces)
        if let frame = parseFrame(body) { return .frame(frame) }
        if let value = field("Duration:", of: body), let timecode = Timecode(value) { return .duration(timecode) }
        if let value = field("Frame Rate:", of: body),
           let rate = value.split(separator: " ").first.flatMap({ Double($0) }), rate > 0 {
            return .frameRate(rate)
        }
        if let value = field("Total Time Elapsed:", of: body) { return .totalTime(value) }
        if let range = body.range(of: "Finished composition") {
            let quotes = CharacterSet(charactersIn: "\"“”'‘’. ")
            return .finished(composition: body[range.upperBound...].trimmingCharacters(in: quotes))
        }
        return nil
    }

    /// The value of a `Name: value` header line, or nil when `body` is another line.
    private static func field(_ name: String, of body: String) -> String? {
        guard body.hasPrefix(name) else { return nil }
        return body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
    }

    /// `0:00:01:05 (36): 0 Seconds` → 36.
    private static func parseFrame(_ body: String) -> Int? {
        guard let open = body.range(of: " (") else { return nil }
        let timecode = body[..<open.lowerBound]
        guard !timecode.isEmpty, timecode.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ":" || $0 == ";") }) else { return nil }
        let rest = body[open.upperBound...]
        guard let close = rest.firstIndex(of: ")") else { return nil }
        return Int(rest[..<close])
    }

    /// What a render printed so far: frames, header facts, errors.
    struct Transcript: Sendable {
        /// Frames in all as the output settings say, when they do.
        var expectedFrames: Int?
        /// The header's `Duration`.
        private(set) var duration: Timecode?
        /// The header's `Frame Rate`.
        private(set) var frameRate: Double?
        /// The last frame reported done (1-based).
        private(set) var lastFrame: Int?
        /// Every `aerender Error:` text, in order.
        private(set) var errors: [String] = []
        /// The composition named by the `Finished composition` line.
        private(set) var finishedComposition: String?
        /// The `Total Time Elapsed` text.
        private(set) var totalTimeElapsed: String?

        /// Frames in all: the settings' count, else the header's duration at its frame rate.
        var totalFrames: Int? {
            if let expectedFrames { return expectedFrames }
            guard let duration, let frameRate else { return nil }
            return duration.frameCount(fps: frameRate)
        }

        /// Records `line`; returns the progress it reports, if any.
        mutating func consume(_ line: String) -> RenderProgress? {
            switch AerenderBackend.parseLine(line) {
            case .frame(let frame):
                lastFrame = frame
                return RenderProgress(frame: frame, totalFrames: totalFrames)
            case .duration(let timecode): if duration == nil { duration = timecode }
            case .frameRate(let rate): if frameRate == nil { frameRate = rate }
            case .finished(let composition): finishedComposition = composition
            case .totalTime(let text): totalTimeElapsed = text
            case .error(let text): errors.append(text)
            case nil: break
            }
            return nil
        }
    }
}
