import Foundation

/// Renders a real preview on any Linux machine with ffmpeg (SPEC §5 `preview`) on a frame of the
/// requested size — a PNG still, or an MP4/MOV clip of the requested frame range (3 seconds when
/// none is given) at the requested frame rate.
///
/// A graphics instruction (its layer data is a ``GFXDataDocument``) is drawn by its category
/// (``PreviewScene``): a title bar, the slots as a table, the single fields as lines, the chip
/// flow as a line chart, the chip comparison as bars, an elimination or at-risk card. Any other
/// instruction shows its bound fields as text (``caption(for:)``).
///
/// Text reaches ffmpeg through files (`drawtext=textfile=`), so no value is ever parsed as filter
/// syntax. A Korean-capable font (Nanum) is used when installed, else DejaVu Sans.
package struct PreviewBackend: RenderBackend {
    package var name: String { "preview" }
    /// The ffmpeg binary.
    package let ffmpeg: String
    /// The font drawtext uses.
    package let fontFile: String
    /// Its bold face (the regular one when no bold face is installed).
    package let boldFontFile: String
    /// Kill ffmpeg after this long without output.
    package let inactivityTimeout: Duration

    static let fontCandidates = [
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ]
    /// The bold face of each candidate.
    static let boldFontCandidates = [
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf": "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ]

    /// Finds ffmpeg and a font.
    /// - Throws: ``HubError`` `.configuration` naming the missing Debian package.
    package init(ffmpeg: String? = nil, inactivityTimeout: Duration = .seconds(120)) throws {
        let candidates = [ffmpeg, "/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].compactMap { $0 }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HubError(.configuration, "the preview backend needs ffmpeg: install it (apt-get install ffmpeg, or scripts/install-deps)")
        }
        guard let font = Self.fontCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw HubError(.configuration, "the preview backend needs a font: install fonts-nanum or fonts-dejavu-core")
        }
        self.ffmpeg = binary
        self.fontFile = font
        self.boldFontFile = Self.boldFontCandidates[font].flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil } ?? font
        self.inactivityTimeout = inactivityTimeout
    }

    /// The text drawn: the template and composition, then one `layer: value` line per single
    /// layer, then the numbered slot layers ("Rank 1", "Name 1", "Chips 1", …) as one row per
    /// slot, as a leaderboard would show them. Empty slots are left out.
    package static func caption(for instruction: RenderInstruction) -> String {
        var lines = ["\(instruction.templateName) / \(instruction.composition)  #\(instruction.id)"]
        func text(_ value: JSONValue) -> String {
            switch value {
            case .string(let s): s
            case .integer(let i): String(i)
            case .number(let d): String(d)
            case .bool(let b): String(b)
            case .null: "—"
            case let other: other.canonicalText
            }
        }
        // "Name 12" -> ("Name", 12)
        var slots: [Int: [String: String]] = [:]
        var columns: [String] = []
        var singles: [(String, String)] = []
        for key in instruction.layerData.keys.sorted() {
            let value = text(instruction.layerData[key]!)
            if let match = key.wholeMatch(of: /(.+) ([0-9]{1,3})/), let slot = Int(match.2) {
                let column = String(match.1)
                if !columns.contains(column) { columns.append(column) }
                slots[slot, default: [:]][column] = value
            } else {
                singles.append((key, value))
            }
        }
        for (key, value) in singles where !value.isEmpty { lines.append("\(key): \(value)") }
        let preferred = ["Rank", "Name", "Chips", "Flag", "Cards"]
        columns.sort { (preferred.firstIndex(of: $0) ?? preferred.count, $0) < (preferred.firstIndex(of: $1) ?? preferred.count, $1) }
        for slot in slots.keys.sorted() {
            let row = columns.map { slots[slot]?[$0] ?? "" }
            guard row.contains(where: { !$0.isEmpty }) else { continue }
            let cells = zip(columns, row).filter { !$0.1.isEmpty }.map { column, value in
                // A flag or photo is a path: show its file name.
                column.hasPrefix("Flag") || column.hasPrefix("Photo") ? (value as NSString).lastPathComponent : value
            }
            lines.append("\(String(slot).leftPadded(to: 2)).  " + cells.joined(separator: "   "))
        }
        return lines.prefix(48).joined(separator: "\n")
    }

    /// The ffmpeg arguments for `job` with its caption in `textFile`.
    func arguments(for job: RenderJob, textFile: String, lines lineCount: Int) throws -> [String] {
        let settings = job.instruction.outputSettings
        var arguments = Self.commonArguments + ["-f", "lavfi", "-i", "color=c=0x0b1a2e:s=\(settings.width)x\(settings.height):r=\(settings.fps)"]
        // As large as fits: the title plus every caption line on the frame.
        let fontSize = max(12, min(settings.height / 24, settings.height * 10 / (max(1, lineCount) * 14 + 20)))
        let filter = "drawtext=fontfile=\(PreviewScene.filterEscaped(fontFile)):textfile=\(PreviewScene.filterEscaped(textFile))"
            + ":expansion=none:fontcolor=white:fontsize=\(fontSize):line_spacing=\(fontSize / 3):x=\(settings.width / 20):y=\(settings.height / 12)"
        arguments += ["-vf", filter]
        return arguments + (try Self.outputArguments(settings, path: job.outputPath))
    }

    /// The ffmpeg arguments that draw `document` for `job`; the text files, images and the filter
    /// graph (`graph.txt`) go into the job's work directory.
    func arguments(for job: RenderJob, document: GFXDataDocument) throws -> [String] {
        let settings = job.instruction.outputSettings
        let scene = PreviewScene(document: document, width: settings.width, height: settings.height)
        let (inputs, graph) = try scene.ffmpegGraph(fontFile: fontFile, boldFontFile: boldFontFile, directory: job.workDirectory,
                                                    fps: settings.fps)
        let graphFile = job.workDirectory.appendingPathComponent("graph.txt")
        try graph.write(to: graphFile, atomically: true, encoding: .utf8)
        return Self.commonArguments + inputs + ["-filter_complex_script", graphFile.path, "-map", "[out]"]
            + (try Self.outputArguments(settings, path: job.outputPath))
    }

    static let commonArguments = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1"]

    /// A still, or a clip of the frame range at the frame rate.
    static func outputArguments(_ settings: OutputSettings, path: String) throws -> [String] {
        let frames = try frameCount(settings)
        return switch settings.format {
        case .png:
            ["-frames:v", "1", "-f", "image2", "-update", "1", path]
        case .mp4, .mov:
            ["-frames:v", String(frames), "-r", String(settings.fps), "-c:v", "libx264", "-pix_fmt", "yuv420p",
             "-f", settings.format == .mp4 ? "mp4" : "mov", path]
        }
    }

    /// Frames of a clip: the frame range, or 3 seconds.
    /// - Throws: ``HubError`` `.usage` (``OutputSettings/validate()``) for settings no renderer may
    ///   use — a row written around the API fails its job here instead of overflowing.
    static func frameCount(_ settings: OutputSettings) throws -> Int {
        let range = try settings.checkedFrameCount()
        if settings.format == .png { return 1 }
        return range ?? settings.fps * 3
    }

    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        // First: settings no renderer may use (sizes, fps, frames) fail the job before any drawing.
        let total = try Self.frameCount(job.instruction.outputSettings)
        let arguments: [String]
        if let document = GFXDataDocument(layerData: job.instruction.layerData) {
            arguments = try self.arguments(for: job, document: document)
        } else {
            let textFile = job.workDirectory.appendingPathComponent("caption.txt")
            let caption = Self.caption(for: job.instruction)
            try caption.write(to: textFile, atomically: true, encoding: .utf8)
            arguments = try self.arguments(for: job, textFile: textFile.path, lines: caption.split(separator: "\n").count)
        }
        let run = try await SupervisedProcess.run(executable: ffmpeg, arguments: arguments, inactivityTimeout: inactivityTimeout) { line in
            if line.hasPrefix("frame="), let frame = Int(line.dropFirst("frame=".count)) {
                await progress(RenderProgress(frame: frame, totalFrames: total))
            }
        }
        guard run.status == 0 else {
            let detail = run.lastLines.filter { !$0.contains("=") }.suffix(2).joined(separator: " | ")
            throw HubError(.unavailable, run.timedOut ? "ffmpeg stalled and was killed"
                                                      : "ffmpeg exited with status \(run.status)\(detail.isEmpty ? "" : ": \(detail)")")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: job.outputPath)[.size] as? NSNumber)?.int64Value
        guard let size, size > 0 else { throw HubError(.unavailable, "ffmpeg wrote no output at \(job.outputPath)") }
        return RenderStore.Output(path: job.outputPath, fileSize: size, frameCount: total)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
