import Foundation

/// What a backend needs to render one instruction.
package struct RenderJob: Sendable {
    /// The claimed instruction (template, composition, bound layers, output settings).
    package var instruction: RenderInstruction
    /// Where the output must be written; unique per attempt, so attempts never collide.
    package var outputPath: String
    /// A scratch directory for job files, removed after the attempt.
    package var workDirectory: URL
    /// How the instruction's AE project names its layers (graphics instructions only).
    package var layerMapping: LayerMapping?

    /// Describes a render for a backend.
    package init(instruction: RenderInstruction, outputPath: String, workDirectory: URL, layerMapping: LayerMapping? = nil) {
        self.instruction = instruction
        self.outputPath = outputPath
        self.workDirectory = workDirectory
        self.layerMapping = layerMapping
    }
}

/// Progress a backend reports while rendering.
package struct RenderProgress: Sendable, Hashable {
    /// Frames done.
    package var frame: Int
    /// Frames in all, when known.
    package var totalFrames: Int?

    /// Creates a progress report.
    package init(frame: Int, totalFrames: Int?) {
        self.frame = frame
        self.totalFrames = totalFrames
    }
}

/// A way to render (SPEC §5): nexrender, aerender, a site command, the ffmpeg preview, or nothing.
///
/// `render` runs until the output is written or it throws; cancelling the calling task must stop
/// the render process within seconds.
package protocol RenderBackend: Sendable {
    /// The name used by `--backend`.
    var name: String { get }
    /// Whether ``render(_:progress:)`` writes job files into ``RenderJob/workDirectory`` (the
    /// worker creates it before and removes it after the attempt only then). Default true.
    var usesWorkDirectory: Bool { get }
    /// Renders `job`, calling `progress` as frames complete.
    /// - Returns: what was written.
    func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output
}

extension RenderBackend {
    package var usesWorkDirectory: Bool { true }
}

/// A backend that writes an empty file at once: for tests and dispatch benchmarks.
package struct NoopBackend: RenderBackend {
    package var name: String { "noop" }
    package var usesWorkDirectory: Bool { false }
    /// Creates the backend.
    package init() {}

    package func render(_ job: RenderJob, progress: @escaping @Sendable (RenderProgress) async -> Void) async throws -> RenderStore.Output {
        RenderStore.Output(path: job.outputPath, fileSize: 0, frameCount: 0)
    }
}

extension RenderJob {
    /// The layers to fill, layer name → value: a graphics instruction's ``GFXDataDocument``
    /// named through ``layerMapping`` (field keys where it has no entry), else the instruction's
    /// layer data as bound.
    package var layers: [String: JSONValue] {
        if let document = GFXDataDocument(layerData: instruction.layerData) {
            return document.layers(mapping: layerMapping)
        }
        return instruction.layerData
    }
}
