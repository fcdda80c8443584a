import Foundation
import HubDriverSupport

/// Renders by running a site executable: `EXECUTABLE JOB_FILE OUTPUT_PATH` (SPEC §5 `command`).
///
/// The job file is the instruction as JSON (template, composition, layer data, output settings),
/// its `layerData` replaced by ``RenderJob/layers`` (for a graphics instruction: the document's
/// fields named through the project's layer mapping).
/// The program may print `progress: K/N` lines; any output counts as a sign of life. It must exit
/// 0 and leave a file at the output path. A program that prints nothing for `inactivityTimeout`
/// is killed and the attempt fails; cancelling the render terminates it (SIGTERM, then SIGKILL).
package struct CommandBackend: RenderBackend {
    package var name: String { "command" }
    /// The program to run.
    package var executable: String
    /// Kill the program after this long without output.
    package var inactivityTimeout: Duration

    /// Creates the backend.
    package init(executable: String, inactivityTimeout: Duration = .seconds(120)) {
        self.executable = executable
        self.inactivityTimeout = inactivityTimeout
    }

    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        // Settings no renderer may use (a row written around the API) fail the job here.
        try job.instruction.outputSettings.validate()
        let jobFile = job.workDirectory.appendingPathComponent("job.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // The layers as the template names them: a graphics instruction's fields through the layer mapping.
        var instruction = job.instruction
        instruction.layerData = job.layers
        try encoder.encode(instruction).write(to: jobFile)
        let run = try await SupervisedProcess.run(
            executable: executable, arguments: [jobFile.path, job.outputPath],
            inactivityTimeout: inactivityTimeout
        ) { line in
            if let parsed = Self.parseProgress(line) { await progress(parsed) }
        }
        guard run.status == 0 else {
            let tail = run.lastLines.suffix(3).joined(separator: " | ")
            if run.timedOut {
                throw HubError(.unavailable, "\(executable) printed nothing for \(inactivityTimeout) and was killed")
            }
            throw HubError(.unavailable, "\(executable) exited with status \(run.status)\(tail.isEmpty ? "" : ": \(tail)")")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: job.outputPath)
        guard let size = attributes?[.size] as? NSNumber else {
            throw HubError(.unavailable, "\(executable) exited 0 but wrote no file at \(job.outputPath)")
        }
        return RenderStore.Output(path: job.outputPath, fileSize: size.int64Value, frameCount: nil)
    }

    /// Parses `progress: 12/90` (case-insensitive).
    static func parseProgress(_ line: String) -> RenderProgress? {
        let lower = line.lowercased()
        guard let range = lower.range(of: "progress:") else { return nil }
        let parts = lower[range.upperBound...].trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard let frame = parts.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else { return nil }
        return RenderProgress(frame: frame, totalFrames: parts.count > 1 ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil)
    }
}
