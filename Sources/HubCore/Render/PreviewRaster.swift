import Foundation

/// A small RGBA image drawn in Swift — the preview's chip flow chart — written as a PAM file
/// (`TUPLTYPE RGB_ALPHA`) that ffmpeg overlays on the frame with its transparency.
///
/// Lines are drawn by distance to the segment with a one-pixel soft edge, so the chart looks
/// smooth without an imaging library.
struct PreviewRaster: Sendable, Hashable {
    /// A colour with straight (not premultiplied) alpha.
    struct Color: Sendable, Hashable {
        var red: UInt8
        var green: UInt8
        var blue: UInt8
        var alpha: UInt8

        /// `0xRRGGBB` with an opacity of 0…1.
        init(_ rgb: UInt32, opacity: Double = 1) {
            red = UInt8((rgb >> 16) & 0xff)
            green = UInt8((rgb >> 8) & 0xff)
            blue = UInt8(rgb & 0xff)
            alpha = UInt8((max(0, min(1, opacity)) * 255).rounded())
        }
    }

    let width: Int
    let height: Int
    /// RGBA rows, top to bottom.
    private(set) var pixels: [UInt8]

    /// A transparent image.
    init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        pixels = [UInt8](repeating: 0, count: self.width * self.height * 4)
    }

    /// Paints `color` over pixel (x, y) with `coverage` (0…1) of its alpha ("over" compositing).
    mutating func blend(x: Int, y: Int, color: Color, coverage: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        let source = Double(color.alpha) / 255 * min(1, coverage)
        let index = (y * width + x) * 4
        let destination = Double(pixels[index + 3]) / 255
        let alpha = source + destination * (1 - source)
        guard alpha > 0 else { return }
        func channel(_ s: UInt8, _ d: UInt8) -> UInt8 {
            UInt8(max(0, min(255, ((Double(s) * source + Double(d) * destination * (1 - source)) / alpha).rounded())))
        }
        pixels[index] = channel(color.red, pixels[index])
        pixels[index + 1] = channel(color.green, pixels[index + 1])
        pixels[index + 2] = channel(color.blue, pixels[index + 2])
        pixels[index + 3] = UInt8((alpha * 255).rounded())
    }

    /// Fills a rectangle.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: Color) {
        for row in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for column in max(0, x)..<max(max(0, x), min(width, x + w)) { blend(x: column, y: row, color: color) }
        }
    }

    /// A line `thickness` pixels wide with round ends.
    mutating func line(from a: (x: Double, y: Double), to b: (x: Double, y: Double), thickness: Double, color: Color) {
        let radius = max(0.5, thickness / 2)
        let minX = Int((min(a.x, b.x) - radius - 1).rounded(.down)), maxX = Int((max(a.x, b.x) + radius + 1).rounded(.up))
        let minY = Int((min(a.y, b.y) - radius - 1).rounded(.down)), maxY = Int((max(a.y, b.y) + radius + 1).rounded(.up))
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        for y in max(0, minY)..<max(max(0, minY), min(height, maxY + 1)) {
            for x in max(0, minX)..<max(max(0, minX), min(width, maxX + 1)) {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                let t = lengthSquared > 0 ? max(0, min(1, ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared)) : 0
                let cx = a.x + t * dx - px, cy = a.y + t * dy - py
                let distance = (cx * cx + cy * cy).squareRoot()
                blend(x: x, y: y, color: color, coverage: radius + 0.5 - distance)
            }
        }
    }

    /// A filled disk.
    mutating func disk(center: (x: Double, y: Double), radius: Double, color: Color) {
        line(from: center, to: center, thickness: radius * 2, color: color)
    }

    /// Fills the area between a polyline (x ascending) and the row `bottom`.
    mutating func fillBelow(_ points: [(x: Double, y: Double)], bottom: Int, color: Color) {
        guard points.count >= 2 else { return }
        var segment = 0
        let first = max(0, Int(points[0].x.rounded(.up))), last = min(width - 1, Int(points[points.count - 1].x.rounded(.down)))
        guard first <= last else { return }
        for x in first...last {
            let px = Double(x)
            while segment < points.count - 2, px > points[segment + 1].x { segment += 1 }
            let a = points[segment], b = points[segment + 1]
            let t = b.x > a.x ? max(0, min(1, (px - a.x) / (b.x - a.x))) : 0
            let top = Int((a.y + t * (b.y - a.y)).rounded())
            for y in max(0, top)..<max(max(0, top), min(height, bottom)) { blend(x: x, y: y, color: color) }
        }
    }

    /// The image as a PAM file.
    var pamData: Data {
        var data = Data("P7\nWIDTH \(width)\nHEIGHT \(height)\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n".utf8)
        data.append(contentsOf: pixels)
        return data
    }
}
