import Foundation

/// One PNG of many graphics at a glance (`hubctl graphics sheet`): each image scaled into a
/// thumbnail cell, its label under it, in a grid of up to ``columns`` columns, with ffmpeg.
///
/// Labels reach ffmpeg through text files and image paths as plain input arguments, so neither is
/// ever parsed as filter syntax.
package struct ContactSheet: Sendable {
    /// The grid of a sheet and its size in pixels.
    package struct Layout: Sendable, Hashable {
        /// Columns of the grid (fewer than ``ContactSheet/columns`` when the images fill one row).
        package var columns: Int
        /// Rows of the grid.
        package var rows: Int
        /// Width of the sheet in pixels.
        package var width: Int
        /// Height of the sheet in pixels.
        package var height: Int
    }

    /// Most images one sheet takes.
    package static let maximumImages = 100

    /// The ffmpeg binary.
    package let ffmpeg: String
    /// The font of the labels.
    package let fontFile: String
    /// Columns of a full row.
    package let columns: Int
    /// Width of a thumbnail cell (images keep their aspect ratio inside it).
    package let thumbnailWidth: Int
    /// Height of a thumbnail cell.
    package let thumbnailHeight: Int
    /// Kill ffmpeg after this long without output.
    package let inactivityTimeout: Duration

    /// Pixels between cells and around the grid.
    var gap: Int { max(8, thumbnailWidth / 24) }
    /// Height of the label under a thumbnail.
    var labelHeight: Int { max(16, thumbnailHeight / 7) }

    /// Finds ffmpeg and a font.
    /// - Parameters:
    ///   - columns: columns of a full row (1…12; 5 by default).
    ///   - thumbnailWidth: cell width (16…1920); the height is 9/16 of it unless given.
    /// - Throws: ``HubError`` `.configuration` naming the missing Debian package, `.usage` for an
    ///   impossible grid.
    package init(ffmpeg: String? = nil, columns: Int = 5, thumbnailWidth: Int = 384, thumbnailHeight: Int? = nil,
                inactivityTimeout: Duration = .seconds(60)) throws {
        let height = thumbnailHeight ?? thumbnailWidth * 9 / 16
        guard (1...12).contains(columns), (16...1920).contains(thumbnailWidth), (16...1920).contains(height) else {
            throw HubError(.usage, "a contact sheet needs 1 to 12 columns and thumbnails of 16 to 1920 pixels a side")
        }
        let candidates = [ffmpeg, "/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].compactMap { $0 }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HubError(.configuration, "the contact sheet needs ffmpeg: install it (apt-get install ffmpeg, or scripts/install-deps)")
        }
        guard let font = PreviewBackend.fontCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw HubError(.configuration, "the contact sheet needs a font: install fonts-nanum or fonts-dejavu-core")
        }
        self.ffmpeg = binary
        self.fontFile = font
        self.columns = columns
        self.thumbnailWidth = thumbnailWidth
        self.thumbnailHeight = height
        self.inactivityTimeout = inactivityTimeout
    }

    /// The grid for `count` images: one row when they fit in it, else full rows of ``columns``.
    package func layout(count: Int) -> Layout {
        let columns = max(1, min(count, self.columns))
        let rows = max(1, (count + columns - 1) / columns)
        return Layout(columns: columns, rows: rows, width: columns * thumbnailWidth + (columns + 1) * gap,
                      height: rows * (thumbnailHeight + labelHeight) + (rows + 1) * gap)
    }

    /// Writes one PNG at `outputPath` with every image of `images` as a labelled thumbnail, in
    /// the order given (left to right, top to bottom).
    /// - Returns: the grid written.
    /// - Throws: ``HubError`` `.usage` for no images or more than ``maximumImages``, `.notFound`
    ///   for an image that is not a readable file, `.unavailable` when ffmpeg fails.
    @discardableResult
    package func write(_ images: [(label: String, path: String)], to outputPath: String) async throws -> Layout {
        guard !images.isEmpty else {
            throw HubError(.usage, "a contact sheet needs at least one image: render the graphics first, then pass their PNG files")
        }
        guard images.count <= Self.maximumImages else {
            throw HubError(.usage, "a contact sheet takes at most \(Self.maximumImages) images, not \(images.count): split them over several sheets")
        }
        for image in images where !FileManager.default.isReadableFile(atPath: image.path) {
            throw HubError(.notFound, "the image of '\(image.label)' is not a readable file: \(image.path)")
        }
        let layout = layout(count: images.count)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sheet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        var arguments = PreviewBackend.commonArguments
            + ["-f", "lavfi", "-i", "color=c=\(PreviewScene.Palette.background):s=\(layout.width)x\(layout.height):r=1"]
        var graph: [String] = []
        var labels: [String] = []
        let labelSize = max(10, labelHeight * 3 / 5)
        for (index, image) in images.enumerated() {
            arguments += ["-f", "image2", "-pattern_type", "none", "-i", URL(fileURLWithPath: image.path).path]
            let w = thumbnailWidth, h = thumbnailHeight
            graph.append("[\(index + 1):v]scale=\(w):\(h):force_original_aspect_ratio=decrease,"
                + "pad=\(w):\(h):(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[t\(index)]")
            let column = index % layout.columns, row = index / layout.columns
            let x = gap + column * (thumbnailWidth + gap), y = gap + row * (thumbnailHeight + labelHeight + gap)
            graph.append("[\(index == 0 ? "0:v" : "s\(index)")][t\(index)]overlay=x=\(x):y=\(y)[s\(index + 1)]")
            let label = PreviewScene.fitting(image.label.map { $0.isNewline ? " " : $0 }.reduce(into: "") { $0.append($1) },
                                             size: labelSize, width: thumbnailWidth)
            guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let file = work.appendingPathComponent("label\(index).txt")
            try label.write(to: file, atomically: false, encoding: .utf8)
            labels.append("drawtext=fontfile=\(PreviewScene.filterEscaped(fontFile)):textfile=\(PreviewScene.filterEscaped(file.path))"
                + ":expansion=none:fontcolor=white:fontsize=\(labelSize):x=\(x + thumbnailWidth / 2)-tw/2"
                + ":y=\(y + thumbnailHeight + labelHeight * 3 / 4)-ascent")
        }
        graph.append("[s\(images.count)]\(labels.isEmpty ? "null" : labels.joined(separator: ","))[out]")
        let graphFile = work.appendingPathComponent("graph.txt")
        try graph.joined(separator: ";\n").write(to: graphFile, atomically: true, encoding: .utf8)
        arguments += ["-filter_complex_script", graphFile.path, "-map", "[out]", "-frames:v", "1", "-f", "image2", "-update", "1",
                      outputPath]

        let run = try await SupervisedProcess.run(executable: ffmpeg, arguments: arguments, inactivityTimeout: inactivityTimeout) { _ in }
        guard run.status == 0 else {
            let detail = run.lastLines.filter { !$0.contains("=") }.suffix(2).joined(separator: " | ")
            throw HubError(.unavailable, run.timedOut ? "ffmpeg stalled while writing the contact sheet and was killed"
                : "ffmpeg could not write the contact sheet (status \(run.status))\(detail.isEmpty ? "" : ": \(detail)")")
        }
        return layout
    }
}
