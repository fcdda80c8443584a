import Foundation

extension PreviewScene {
    /// The chip flow as a line chart: the stacks oldest to newest (``GFXDataDocument/ChipFlow/series``),
    /// drawn as a raster image, with the max and min labels at their levels and the first and
    /// last hand under the plot.
    mutating func drawChart(_ flow: GFXDataDocument.ChipFlow, in region: Region, unit: Double) {
        let values = flow.series
        guard !values.isEmpty, region.width > 40, region.height > 40 else { return }
        let size = max(8, min(Int(34 * unit), region.height / 10))
        var title = ["CHIP FLOW"]
        if !flow.playerName.isEmpty { title.append(flow.playerName) }
        title.append("LAST \(values.count) \(values.count == 1 ? "HAND" : "HANDS")")
        title.append("NOW \(Self.groupedDigits(values[values.count - 1]))")
        text(title.joined(separator: "  ·  "), x: region.x, baseline: region.y + size, size: size, bold: true, maxWidth: region.width)

        let maximum = values.max()!, minimum = values.min()!
        let maxLabel = flow.maxLabel.isEmpty ? Self.groupedDigits(maximum) : flow.maxLabel
        let minLabel = flow.minLabel.isEmpty ? Self.groupedDigits(minimum) : flow.minLabel
        let labelSize = max(8, size * 4 / 5)
        let labelWidth = Int(max(Self.estimatedWidth(maxLabel, size: labelSize), Self.estimatedWidth(minLabel, size: labelSize))) + labelSize
        let plot = Region(x: region.x + labelWidth, y: region.y + size * 9 / 5, width: max(8, region.width - labelWidth),
                          height: max(8, region.height - size * 9 / 5 - labelSize * 2))

        // Values to rows: a margin above the max and below the min; a flat series sits mid-height.
        let span = maximum > minimum ? Double(maximum) - Double(minimum) : max(1, Double(maximum.magnitude) / 10) // in Double: Int64 extremes cannot overflow
        let high = Double(maximum) + span * 0.15, low = Double(minimum) - span * 0.15
        let radius = max(2, 5 * unit)
        func point(_ index: Int) -> (x: Double, y: Double) {
            let x = values.count == 1 ? Double(plot.width) / 2
                : radius * 2 + Double(index) * (Double(plot.width) - radius * 4) / Double(values.count - 1)
            return (x, (high - Double(values[index])) / (high - low) * Double(plot.height))
        }
        let points = values.indices.map(point)
        let maxIndex = values.firstIndex(of: maximum)!, minIndex = values.lastIndex(of: minimum)!

        var raster = PreviewRaster(width: plot.width, height: plot.height)
        raster.fill(x: 0, y: 0, width: plot.width, height: plot.height, color: .init(0x13243b, opacity: 0.9))
        for level in [points[maxIndex].y, points[minIndex].y] {
            raster.line(from: (0, level), to: (Double(plot.width), level), thickness: max(1, unit * 2), color: .init(0x9fb3c8, opacity: 0.35))
        }
        raster.fillBelow(points, bottom: plot.height, color: .init(0x58a6ff, opacity: 0.18))
        for (a, b) in zip(points, points.dropFirst()) {
            raster.line(from: a, to: b, thickness: radius * 1.2, color: .init(0x58a6ff))
        }
        if values.count <= 40 {
            for p in points { raster.disk(center: p, radius: radius, color: .init(0xffffff)) }
        }
        raster.disk(center: points[maxIndex], radius: radius * 1.8, color: .init(0x3fb950))
        raster.disk(center: points[minIndex], radius: radius * 1.8, color: .init(0xf85149))
        image(raster, x: plot.x, y: plot.y)

        let right = plot.x - labelSize / 2
        text(maxLabel, x: right, baseline: plot.y + Int(points[maxIndex].y) + labelSize / 3, size: labelSize, color: Palette.green,
             bold: true, alignment: .right)
        if maximum != minimum {
            text(minLabel, x: right, baseline: plot.y + Int(points[minIndex].y) + labelSize / 3, size: labelSize, color: Palette.red,
                 bold: true, alignment: .right)
        }
        // The first and last hand under the plot.
        let hands = values.count == flow.chips30h.count && flow.hands30h.count == values.count ? flow.hands30h : []
        let axis = plot.y + plot.height + labelSize * 3 / 2
        if values.count > 1 {
            text(hands.first.map { "HAND \($0)" } ?? "\(values.count - 1) HANDS AGO", x: plot.x + Int(points[0].x), baseline: axis,
                 size: labelSize, color: Palette.dim, alignment: .left)
        }
        text(hands.last.map { "HAND \($0)" } ?? "NOW", x: plot.x + Int(points[points.count - 1].x), baseline: axis, size: labelSize,
             color: Palette.dim, alignment: values.count > 1 ? .right : .center)
    }
}
