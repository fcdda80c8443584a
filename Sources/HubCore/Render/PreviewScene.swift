import Foundation

/// What the preview backend draws for a graphics document: filled boxes, single lines of text and
/// raster images (the chip flow chart) at pixel positions, in drawing order.
///
/// ``ffmpegGraph(fontFile:boldFontFile:directory:fps:)`` turns it into one ffmpeg filter graph.
/// Every text reaches ffmpeg through a file of its own (`drawtext=textfile=`, `expansion=none`)
/// and every path in the graph is escaped for the filter syntax, so no value of a document is
/// ever parsed as a filter.
struct PreviewScene: Sendable {
    enum Alignment: Sendable { case left, center, right }

    /// One line of text; `x` is its left edge, centre or right edge by ``alignment``.
    struct Text: Sendable {
        var text: String
        var x: Int
        /// The baseline, so texts of a row line up whatever glyphs they hold.
        var baseline: Int
        var size: Int
        var color: String
        var bold: Bool
        var alignment: Alignment
    }

    enum Element: Sendable {
        /// A filled rectangle; `color` is `0xRRGGBB` or `0xRRGGBB@opacity`.
        case box(x: Int, y: Int, width: Int, height: Int, color: String)
        case text(Text)
        case image(x: Int, y: Int, raster: PreviewRaster)
    }

    /// The colours of the preview.
    enum Palette {
        static let background = "0x0b1a2e"
        static let titleBar = "0x16375f"
        static let accent = "0x58a6ff"
        static let panel = "0x13243b"
        static let stripe = "0x102036"
        static let text = "0xffffff"
        static let dim = "0x9fb3c8"
        static let gold = "0xf2c14e"
        static let green = "0x3fb950"
        static let red = "0xf85149"
    }

    var width: Int
    var height: Int
    var background = Palette.background
    var elements: [Element] = []

    init(width: Int, height: Int) {
        self.width = max(16, width)
        self.height = max(16, height)
    }

    /// Texts of more characters are cut with an ellipsis.
    static let maximumTextLength = 120

    mutating func box(x: Int, y: Int, width: Int, height: Int, color: String) {
        guard width > 0, height > 0 else { return }
        elements.append(.box(x: x, y: y, width: width, height: height, color: color))
    }

    /// Adds a line of text (line breaks become spaces); empty texts are left out. With
    /// `maxWidth`, a text estimated wider is cut with an ellipsis.
    mutating func text(_ text: String, x: Int, baseline: Int, size: Int, color: String = Palette.text, bold: Bool = false,
                       alignment: Alignment = .left, maxWidth: Int? = nil) {
        var line = text.map { $0.isNewline || $0 == "\t" ? " " : $0 }.reduce(into: "") { $0.append($1) }
            .trimmingCharacters(in: .whitespaces)
        if line.count > Self.maximumTextLength { line = String(line.prefix(Self.maximumTextLength - 1)) + "…" }
        guard !line.isEmpty, size > 0 else { return }
        // Bold glyphs are about a tenth wider.
        if let maxWidth { line = Self.fitting(line, size: bold ? size * 11 / 10 : size, width: maxWidth) }
        elements.append(.text(Text(text: line, x: x, baseline: baseline, size: size, color: color, bold: bold, alignment: alignment)))
    }

    mutating func image(_ raster: PreviewRaster, x: Int, y: Int) {
        elements.append(.image(x: x, y: y, raster: raster))
    }

    /// A generous estimate of how wide `text` is at `size` pixels (Hangul and other wide glyphs
    /// count about a full em, Latin letters and digits about 0.6).
    static func estimatedWidth(_ text: String, size: Int) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x20: ems += 0.32
            case 0x1100...0x11ff, 0x2e80...0xa4cf, 0xac00...0xd7af, 0xf900...0xfaff, 0xff00...0xff60: ems += 1.0
            case 0x41...0x5a, 0x25: ems += 0.64
            case 0x30...0x39, 0x24: ems += 0.56
            case 0x2c, 0x2e, 0x3a, 0x3b, 0x27, 0x69, 0x6c, 0x49: ems += 0.3
            default: ems += 0.54
            }
        }
        return ems * Double(size)
    }

    /// `text`, cut with an ellipsis until its estimate fits `width`.
    static func fitting(_ text: String, size: Int, width: Int) -> String {
        guard estimatedWidth(text, size: size) > Double(width) else { return text }
        var characters = Array(text)
        while !characters.isEmpty, estimatedWidth(String(characters) + "…", size: size) > Double(width) { characters.removeLast() }
        return characters.isEmpty ? "" : String(characters).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Escapes `value` for an option of a filter inside a filter graph (both levels of ffmpeg's
    /// quoting: the option value, then the graph description).
    static func filterEscaped(_ value: String) -> String {
        var optionLevel = ""
        for character in value {
            if character == "\\" || character == "'" || character == ":" { optionLevel.append("\\") }
            optionLevel.append(character)
        }
        var graphLevel = ""
        for character in optionLevel {
            if "\\'[],;".contains(character) { graphLevel.append("\\") }
            graphLevel.append(character)
        }
        return graphLevel
    }

    /// Writes the scene's text files (`t<n>.txt`) and images (`i<n>.pam`) into `directory` and
    /// returns the ffmpeg input arguments (the background first, then one input per image) and the
    /// filter graph, whose output pad is `[out]`.
    func ffmpegGraph(fontFile: String, boldFontFile: String, directory: URL, fps: Int) throws -> (inputs: [String], graph: String) {
        var inputs = ["-f", "lavfi", "-i", "color=c=\(background):s=\(width)x\(height):r=\(fps)"]
        var graph: [String] = []
        var pending: [String] = []
        var label = "0:v"
        var textCount = 0, imageCount = 0
        for element in elements {
            switch element {
            case .box(let x, let y, let w, let h, let color):
                pending.append("drawbox=x=\(x):y=\(y):w=\(w):h=\(h):color=\(color):t=fill")
            case .text(let text):
                let file = directory.appendingPathComponent("t\(textCount).txt")
                textCount += 1
                try text.text.write(to: file, atomically: false, encoding: .utf8)
                let x = switch text.alignment {
                case .left: "\(text.x)"
                case .center: "\(text.x)-tw/2"
                case .right: "\(text.x)-tw"
                }
                pending.append("drawtext=fontfile=\(Self.filterEscaped(text.bold ? boldFontFile : fontFile))"
                    + ":textfile=\(Self.filterEscaped(file.path)):expansion=none:fontcolor=\(text.color):fontsize=\(text.size)"
                    + ":x=\(x):y=\(text.baseline)-ascent")
            case .image(let x, let y, let raster):
                imageCount += 1
                let file = directory.appendingPathComponent("i\(imageCount).pam")
                try raster.pamData.write(to: file)
                inputs += ["-f", "image2", "-pattern_type", "none", "-loop", "1", "-framerate", String(fps), "-i", file.path]
                graph.append("[\(label)]\(pending.isEmpty ? "null" : pending.joined(separator: ","))[b\(imageCount)]")
                graph.append("[b\(imageCount)][\(imageCount):v]overlay=x=\(x):y=\(y):format=auto:eof_action=repeat[o\(imageCount)]")
                label = "o\(imageCount)"
                pending = []
            }
        }
        graph.append("[\(label)]\(pending.isEmpty ? "null" : pending.joined(separator: ","))[out]")
        return (inputs, graph.joined(separator: ";\n"))
    }
}
