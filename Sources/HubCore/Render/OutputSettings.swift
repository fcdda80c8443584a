/// How a render is written (PRD-0001 §4.1 `OutputSettings`).
public struct OutputSettings: Sendable, Hashable, Codable {
    /// The container: a still or a clip.
    public enum Format: String, Sendable, Codable, CaseIterable {
        case mp4, mov, png
    }

    /// File format.
    public var format: Format
    /// Frame width in pixels.
    public var width: Int
    /// Frame height in pixels.
    public var height: Int
    /// Frames per second.
    public var fps: Int
    /// Codec name for clips (`h264`, `prores`, …); nil lets the backend choose.
    public var codec: String?
    /// First frame to render (inclusive); nil = the composition's start.
    public var frameStart: Int?
    /// Last frame to render (inclusive); nil = the composition's end.
    public var frameEnd: Int?

    /// 1920×1080 at 30 fps, MP4 (SPEC §2 defaults).
    public init(format: Format = .mp4, width: Int = 1920, height: Int = 1080, fps: Int = 30, codec: String? = nil,
                frameStart: Int? = nil, frameEnd: Int? = nil) {
        self.format = format
        self.width = width
        self.height = height
        self.fps = fps
        self.codec = codec
        self.frameStart = frameStart
        self.frameEnd = frameEnd
    }

    private enum CodingKeys: String, CodingKey {
        case format, width, height, fps, codec, frameStart, frameEnd
    }

    /// Decodes settings; a missing key takes its default, so rows written by hand or by older
    /// tools (`'{}'`) still read as 1920×1080 at 30 fps MP4.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = OutputSettings()
        format = try c.decodeIfPresent(Format.self, forKey: .format) ?? defaults.format
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? defaults.width
        height = try c.decodeIfPresent(Int.self, forKey: .height) ?? defaults.height
        fps = try c.decodeIfPresent(Int.self, forKey: .fps) ?? defaults.fps
        codec = try c.decodeIfPresent(String.self, forKey: .codec)
        frameStart = try c.decodeIfPresent(Int.self, forKey: .frameStart)
        frameEnd = try c.decodeIfPresent(Int.self, forKey: .frameEnd)
    }

    /// Checks the values a renderer could not use.
    /// - Throws: ``HubError`` `.usage` naming the field.
    public func validate() throws {
        guard (16...8192).contains(width), (16...8192).contains(height) else {
            throw HubError(.usage, "output resolution \(width)x\(height) is outside 16…8192 pixels per side")
        }
        guard (1...240).contains(fps) else { throw HubError(.usage, "output fps \(fps) is outside 1…240") }
        if let frameStart, frameStart < 0 { throw HubError(.usage, "frameStart \(frameStart) is negative") }
        if let frameStart, let frameEnd, frameEnd < frameStart {
            throw HubError(.usage, "frameEnd \(frameEnd) is before frameStart \(frameStart)")
        }
    }
}
