/// How a render is written (PRD-0001 §4.1 `OutputSettings`).
public struct OutputSettings: Sendable, Hashable, Codable {
    /// The container: a still or a clip.
    public enum Format: String, Sendable, Codable, CaseIterable {
        /// An H.264 MP4 clip.
        case mp4
        /// A QuickTime clip (ProRes with alpha for keying).
        case mov
        /// A PNG still (a sequence when frames are given).
        case png
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

    /// snake_case, as every HTTP body and `--json` (issue 14).
    private enum CodingKeys: String, CodingKey {
        case format, width, height, fps, codec
        case frameStart = "frame_start", frameEnd = "frame_end"
    }

    /// The spelling of the first API and of settings stored before: still read.
    private enum LegacyKeys: String, CodingKey {
        case frameStart, frameEnd
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
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        frameStart = try c.decodeIfPresent(Int.self, forKey: .frameStart) ?? legacy.decodeIfPresent(Int.self, forKey: .frameStart)
        frameEnd = try c.decodeIfPresent(Int.self, forKey: .frameEnd) ?? legacy.decodeIfPresent(Int.self, forKey: .frameEnd)
    }

    /// The largest frame number `frameStart`/`frameEnd` may name: 10,000,000 (over 92 hours at 30 fps).
    public static let maximumFrameNumber = 10_000_000
    /// The most frames one instruction may render: 1,000,000 (over 9 hours at 30 fps).
    public static let maximumFrameCount = 1_000_000
    /// Frame sizes: 16…8192 pixels per side.
    public static let sizeRange = 16...8192
    /// Frame rates: 1…240 fps.
    public static let fpsRange = 1...240

    /// Checks the values a renderer could not use: sizes 16…8192 pixels, 1…240 fps, frame numbers
    /// 0…10,000,000 and at most 1,000,000 frames per instruction (from `frameStart`, or frame 0
    /// when it is unset, to `frameEnd`). Every backend checks again before it renders, so a row
    /// written around the API (by SQL) fails its job with this message instead of overflowing.
    /// - Throws: ``HubError`` `.usage` naming the field.
    public func validate() throws {
        guard Self.sizeRange.contains(width), Self.sizeRange.contains(height) else {
            throw HubError(.usage, "output resolution \(width)x\(height) is outside 16…8192 pixels per side")
        }
        guard Self.fpsRange.contains(fps) else { throw HubError(.usage, "output fps \(fps) is outside 1…240") }
        for (name, frame) in [("frameStart", frameStart), ("frameEnd", frameEnd)] {
            guard let frame else { continue }
            guard frame >= 0 else { throw HubError(.usage, "\(name) \(frame) is negative") }
            guard frame <= Self.maximumFrameNumber else {
                throw HubError(.usage, "\(name) \(frame) is beyond the last frame number a render may name (\(Self.maximumFrameNumber))")
            }
        }
        if let frameStart, let frameEnd, frameEnd < frameStart {
            throw HubError(.usage, "frameEnd \(frameEnd) is before frameStart \(frameStart)")
        }
        if let frameEnd, frameEnd - (frameStart ?? 0) + 1 > Self.maximumFrameCount {
            throw HubError(.usage, "frames \(frameStart ?? 0)…\(frameEnd) are \(frameEnd - (frameStart ?? 0) + 1) frames; one instruction renders at most \(Self.maximumFrameCount)")
        }
    }

    /// The number of frames of the range `frameStart…frameEnd` after ``validate()``; nil when
    /// either end is unset (the composition decides). Never traps, whatever the values.
    /// - Throws: ``HubError`` `.usage` from ``validate()`` for settings no renderer may use.
    public func checkedFrameCount() throws -> Int? {
        try validate()
        guard let frameStart, let frameEnd else { return nil }
        let (difference, overflow) = frameEnd.subtractingReportingOverflow(frameStart)
        guard !overflow, difference < Self.maximumFrameCount else {
            throw HubError(.usage, "frames \(frameStart)…\(frameEnd) are more than \(Self.maximumFrameCount) frames")
        }
        return difference + 1
    }
}
