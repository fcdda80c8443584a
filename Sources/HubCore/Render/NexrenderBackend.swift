import Foundation
import HubDriverSupport

/// Renders with nexrender (SPEC §5 `nexrender`): writes a nexrender job file into the work
/// directory and runs `<binary> --file <job file> [extraArguments…]`; nexrender copies the
/// template, replaces the bound layers and drives After Effects' aerender.
///
/// The job file (`nexrender-job.json`), for a clip of frames 0–59 as MOV:
///
/// ```json
/// {
///   "template": { "src": "file:///srv/templates/leaderboard.aep", "composition": "Main",
///                 "outputModule": "Apple ProRes 422", "outputExt": "mov", "frameStart": 0, "frameEnd": 59 },
///   "assets": [
///     { "type": "data", "layerName": "Chips 1", "property": "Source Text", "value": "1,500,000" },
///     { "type": "image", "layerName": "Flag 1", "src": "file:///srv/media/flags/kr.png" },
///     { "type": "data", "layerName": "Name 1", "property": "Source Text", "value": "김민수" }
///   ],
///   "actions": { "postrender": [
///     { "module": "@nexrender/action-copy", "input": "result.mov", "output": "/srv/renders/7-1.mov" }
///   ] }
/// }
/// ```
///
/// - **Template:** `src` is the file URL of `<templateDirectory>/<templateName>.aep`;
///   `outputModule` comes from ``AerenderBackend/outputModuleTemplate(for:)`` (mp4 → "H.264 -
///   Match Render Settings - 15 Mbps", mov → "Apple ProRes 422", png → "PNG Sequence");
///   `outputExt` is the format; `frameStart`/`frameEnd` are written when set. A PNG is a still:
///   only frame `frameStart` (0 when unset) is rendered.
/// - **Assets,** one per layer of ``RenderJob/layers`` (the bound layers, or a graphics
///   instruction's fields named through the project's layer mapping) in key order: an `image` asset when the value is a non-empty
///   string and the layer name starts with "Flag" or "Photo" or the value ends in .png, .jpg or
///   .jpeg (URLs are kept, relative paths are resolved against the template directory); an image
///   layer without a value gets no asset and keeps the template's picture. Every other layer is a
///   `data` asset setting "Source Text" to the value as text: strings as they are (already
///   formatted for broadcast, e.g. "1,500,000"), numbers in decimal, null as empty text.
/// - **Postrender copy:** nexrender renders to `result.<ext>` in its own work path, so
///   `@nexrender/action-copy` copies that file (`input`, relative to nexrender's work path) to the
///   job's output path. A still is rendered as a numbered sequence (`result_[#####].png`, as
///   nexrender names it), so its input is `result_00000.png` for frame 0.
///
/// Progress comes from nexrender's `[<job uid>] rendering progress 45%...` lines, reported as
/// frames when the frame count is known (a frame range or a still). nexrender-cli exits 0 even
/// when the job fails, so the render succeeds only when the exit status is 0, no
/// `> job rendering failed` line was printed and the output file exists and is not empty.
package struct NexrenderBackend: RenderBackend {
    /// "nexrender", the name `--backend` uses.
    package var name: String { "nexrender" }
    /// The nexrender CLI (`nexrender-cli`).
    package let binary: String
    /// Where `<templateName>.aep` projects live.
    package let templateDirectory: URL
    /// Kill nexrender after this long without output.
    package let inactivityTimeout: Duration
    /// Appended after `--file <job file>` (e.g. `--binary`, `--workpath`, `--skip-cleanup`).
    package let extraArguments: [String]

    /// Creates the backend.
    /// - Parameters:
    ///   - binary: the path of the nexrender CLI.
    ///   - templateDirectory: the directory holding `<templateName>.aep` projects.
    ///   - inactivityTimeout: how long nexrender may print nothing before it is killed.
    ///   - extraArguments: more nexrender-cli options, passed after the job file.
    package init(binary: String, templateDirectory: URL, inactivityTimeout: Duration = .seconds(300), extraArguments: [String] = []) {
        self.binary = binary
        self.templateDirectory = templateDirectory
        self.inactivityTimeout = inactivityTimeout
        self.extraArguments = extraArguments
    }

    /// Writes the job file, runs nexrender on it and checks the copied output.
    /// - Throws: ``HubError`` `.configuration` for a missing binary or template project, `.unavailable`
    ///   when nexrender fails, falls silent or leaves no output.
    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        // First: settings no renderer may use (a row written around the API) fail the job here.
        let total = try AerenderBackend.expectedFrames(job.instruction.outputSettings)
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HubError(.configuration, "nexrender was not found at \(binary): install nexrender-cli on this render machine or configure its path")
        }
        let jobFile = try writeJobFile(for: job)
        let transcript = PThreadLocked(Transcript())
        let run = try await SupervisedProcess.run(
            executable: binary, arguments: ["--file", jobFile.path] + extraArguments, inactivityTimeout: inactivityTimeout
        ) { line in
            let percent = transcript.withLock { $0.consume(line) }
            if let percent, let total {
                await progress(RenderProgress(frame: min(total, max(0, percent * total / 100)), totalFrames: total))
            }
        }
        let seen = transcript.withLock { $0 }
        if run.timedOut {
            throw HubError(.unavailable, "nexrender printed nothing for \(inactivityTimeout) and was killed: raise the renderer timeout if After Effects needs longer to open \(job.instruction.templateName).aep")
        }
        guard run.status == 0, !seen.failed else {
            throw HubError(.unavailable, "nexrender failed\(run.status == 0 ? "" : " with status \(run.status)"): \(Self.failureDetail(seen, run: run, jobFile: jobFile))")
        }
        guard let size = AerenderBackend.fileSize(at: job.outputPath), size > 0 else {
            throw HubError(.unavailable, "nexrender finished but wrote no output at \(job.outputPath): check the postrender copy action in \(jobFile.path)")
        }
        return RenderStore.Output(path: job.outputPath, fileSize: size, frameCount: total)
    }

    /// The first error nexrender or aerender printed, else the last lines, else a hint.
    private static func failureDetail(_ transcript: Transcript, run: SupervisedProcess.Result, jobFile: URL) -> String {
        if let error = transcript.firstError { return error }
        let tail = run.lastLines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(3).joined(separator: " | ")
        return tail.isEmpty ? "it printed no error; run it by hand on \(jobFile.path)" : tail
    }

    /// Writes `nexrender-job.json` into the job's work directory.
    /// - Returns: the file written.
    func writeJobFile(for job: RenderJob) throws -> URL {
        let document = try Self.jobDocument(for: job, templateDirectory: templateDirectory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = job.workDirectory.appendingPathComponent("nexrender-job.json")
        try encoder.encode(document).write(to: file)
        return file
    }
}

// MARK: - The job document

extension NexrenderBackend {
    /// A nexrender job as JSON (the fields the hub uses).
    struct JobDocument: Codable, Equatable, Sendable {
        var template: Template
        var assets: [Asset]
        var actions: Actions

        /// The project, the composition and how to render it.
        struct Template: Codable, Equatable, Sendable {
            var src: String
            var composition: String
            var outputModule: String
            var outputExt: String
            var frameStart: Int?
            var frameEnd: Int?
        }

        /// A `data` asset (layerName, property, value) or an `image` asset (layerName, src).
        struct Asset: Codable, Equatable, Sendable {
            var type: String
            var layerName: String
            var property: String?
            var value: String?
            var src: String?
        }

        /// Actions run after the render.
        struct Actions: Codable, Equatable, Sendable {
            var postrender: [Action]
        }

        /// One action: a module and its options.
        struct Action: Codable, Equatable, Sendable {
            var module: String
            var input: String
            var output: String
        }
    }

    /// The nexrender job for `job`.
    /// - Throws: ``HubError`` `.configuration` when the template project is missing.
    static func jobDocument(for job: RenderJob, templateDirectory: URL) throws -> JobDocument {
        let instruction = job.instruction
        let settings = instruction.outputSettings
        let project = try AerenderBackend.templateProject(instruction.templateName, in: templateDirectory)
        let range = AerenderBackend.frameRange(settings)
        let ext = settings.format.rawValue
        let template = JobDocument.Template(
            src: URL(fileURLWithPath: project.path).absoluteString, composition: instruction.composition,
            outputModule: AerenderBackend.outputModuleTemplate(for: settings.format), outputExt: ext,
            frameStart: range.start, frameEnd: range.end)
        let layers = job.layers
        let assets = layers.keys.sorted().compactMap { key in
            asset(layer: key, value: layers[key]!, templateDirectory: templateDirectory)
        }
        let input = settings.format == .png ? "result_\(paddedFrame(range.start ?? 0)).\(ext)" : "result.\(ext)"
        let copy = JobDocument.Action(module: "@nexrender/action-copy", input: input, output: job.outputPath)
        return JobDocument(template: template, assets: assets, actions: JobDocument.Actions(postrender: [copy]))
    }

    /// The asset for one bound layer; nil for an image layer without a value.
    static func asset(layer: String, value: JSONValue, templateDirectory: URL) -> JobDocument.Asset? {
        let imageLayer = layer.hasPrefix("Flag") || layer.hasPrefix("Photo")
        if case .string(let string) = value, !string.isEmpty {
            let lower = string.lowercased()
            if imageLayer || [".png", ".jpg", ".jpeg"].contains(where: { lower.hasSuffix($0) }) {
                return JobDocument.Asset(type: "image", layerName: layer, src: imageSource(string, templateDirectory: templateDirectory))
            }
        } else if imageLayer {
            return nil
        }
        return JobDocument.Asset(type: "data", layerName: layer, property: "Source Text", value: text(of: value))
    }

    /// A URL as it is; a path as a file URL, relative paths against the template directory.
    static func imageSource(_ reference: String, templateDirectory: URL) -> String {
        if reference.contains("://") { return reference }
        let url = reference.hasPrefix("/") ? URL(fileURLWithPath: reference)
                                           : templateDirectory.appendingPathComponent(reference).standardizedFileURL
        return URL(fileURLWithPath: url.path).absoluteString
    }

    /// A bound value as layer text: strings verbatim, numbers in decimal, null empty.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number):
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: ""
        case .array, .object: value.canonicalText
        }
    }

    /// A frame number as After Effects writes `[#####]`: five digits.
    private static func paddedFrame(_ frame: Int) -> String {
        let digits = String(frame)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}

// MARK: - Reading nexrender's output

extension NexrenderBackend {
    /// `[x1y2] rendering progress 45%...` → 45.
    static func parseProgress(_ line: String) -> Int? {
        guard let marker = line.range(of: "rendering progress ") else { return nil }
        let digits = line[marker.upperBound...].prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, line[marker.upperBound...].dropFirst(digits.count).hasPrefix("%") else { return nil }
        return Int(digits)
    }

    /// What nexrender printed so far: whether the job failed and why.
    struct Transcript: Sendable {
        /// nexrender-cli printed `> job rendering failed` (it still exits 0).
        private(set) var failed = false
        /// The first line of the error printed after `> job rendering failed`.
        private(set) var failure: String?
        /// The `aerender Error:` texts nexrender passed on from aerender, in order.
        private(set) var aerenderErrors: [String] = []

        /// The most telling error: aerender's first, else nexrender's.
        var firstError: String? { aerenderErrors.first ?? failure }

        /// Records `line`; returns the percentage it reports, if any.
        mutating func consume(_ line: String) -> Int? {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if let percent = NexrenderBackend.parseProgress(trimmed) { return percent }
            if trimmed.hasPrefix("> job rendering failed") {
                failed = true
            } else if case .error(let text) = AerenderBackend.parseLine(trimmed) {
                aerenderErrors.append(text)
            } else if failed, failure == nil, !trimmed.isEmpty {
                failure = trimmed
            }
            return nil
        }
    }
}
