import Foundation

/// Renders a real preview on any Linux machine with ffmpeg (SPEC §5 `preview`): the bound fields
/// as text on a frame of the requested size — a PNG still, or an MP4/MOV clip of the requested
/// frame range (3 seconds when none is given) at the requested frame rate.
///
/// The text reaches ffmpeg through a file (`drawtext=textfile=`), so no value is ever parsed as
/// filter syntax. A Korean-capable font (Nanum) is used when installed, else DejaVu Sans.
public struct PreviewBackend: RenderBackend {
    public var name: String { "preview" }
    /// The ffmpeg binary.
    public let ffmpeg: String
    /// The font drawtext uses.
    public let fontFile: String
    /// Kill ffmpeg after this long without output.
    public let inactivityTimeout: Duration

    static let fontCandidates = [
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ]

    /// Finds ffmpeg and a font.
    /// - Throws: ``HubError`` `.configuration` naming the missing Debian package.
    public init(ffmpeg: String? = nil, inactivityTimeout: Duration = .seconds(120)) throws {
        let candidates = [ffmpeg, "/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].compactMap { $0 }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HubError(.configuration, "the preview backend needs ffmpeg: install it (apt-get install ffmpeg, or scripts/install-deps)")
        }
        guard let font = Self.fontCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw HubError(.configuration, "the preview backend needs a font: install fonts-nanum or fonts-dejavu-core")
        }
        self.ffmpeg = binary
        self.fontFile = font
        self.inactivityTimeout = inactivityTimeout
    }

    /// The text drawn: the template and composition, then one `layer: value` line per bound field.
    public static func caption(for instruction: RenderInstruction) -> String {
        var lines = ["\(instruction.templateName) / \(instruction.composition)  #\(instruction.id)"]
        for key in instruction.layerData.keys.sorted() {
            let value: String
            switch instruction.layerData[key]! {
            case .string(let s): value = s
            case .integer(let i): value = String(i)
            case .number(let d): value = String(d)
            case .bool(let b): value = String(b)
            case .null: value = "—"
            case let other: value = other.canonicalText
            }
            lines.append("\(key): \(value)")
        }
        return lines.prefix(40).joined(separator: "\n")
    }

    /// The ffmpeg arguments for `job` with its caption in `textFile`.
    func arguments(for job: RenderJob, textFile: String) -> [String] {
        let settings = job.instruction.outputSettings
        let frames = Self.frameCount(settings)
        var arguments = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1",
                         "-f", "lavfi", "-i", "color=c=0x0b1a2e:s=\(settings.width)x\(settings.height):r=\(settings.fps)"]
        let fontSize = max(12, settings.height / 24)
        let filter = "drawtext=fontfile=\(fontFile):textfile=\(textFile):expansion=none:fontcolor=white:fontsize=\(fontSize)"
            + ":line_spacing=\(fontSize / 3):x=\(settings.width / 20):y=\(settings.height / 12)"
        arguments += ["-vf", filter]
        switch settings.format {
        case .png:
            arguments += ["-frames:v", "1", "-f", "image2", job.outputPath]
        case .mp4, .mov:
            arguments += ["-frames:v", String(frames), "-r", String(settings.fps), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                          "-f", settings.format == .mp4 ? "mp4" : "mov", job.outputPath]
        }
        return arguments
    }

    /// Frames of a clip: the frame range, or 3 seconds.
    static func frameCount(_ settings: OutputSettings) -> Int {
        if settings.format == .png { return 1 }
        if let start = settings.frameStart, let end = settings.frameEnd { return end - start + 1 }
        return settings.fps * 3
    }

    public func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        let textFile = job.workDirectory.appendingPathComponent("caption.txt")
        try Self.caption(for: job.instruction).write(to: textFile, atomically: true, encoding: .utf8)
        let total = Self.frameCount(job.instruction.outputSettings)
        let run = try await SupervisedProcess.run(executable: ffmpeg, arguments: arguments(for: job, textFile: textFile.path),
                                                  inactivityTimeout: inactivityTimeout) { line in
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
