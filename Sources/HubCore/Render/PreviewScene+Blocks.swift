import Foundation

extension PreviewScene {
    /// Stacks `blocks` in `region`: each gets the height it would like, all shrunk alike when
    /// they do not fit.
    mutating func layOut(_ blocks: [Block], in region: Region, unit: Double) {
        let gap = max(4, Int(24 * unit))
        let wanted = blocks.map { preferredHeight($0, unit: unit) }
        let available = Double(region.height - gap * (blocks.count - 1))
        let total = Double(wanted.reduce(0, +))
        let factor = total > available ? max(0, available) / total : 1
        var y = region.y
        for (block, height) in zip(blocks, wanted) {
            let h = max(1, Int(Double(height) * factor))
            let part = Region(x: region.x, y: y, width: region.width, height: h)
            switch block {
            case .card(let title, let place): drawCard(title: title, place: place, in: part)
            case .comparison(let comparison): drawComparison(comparison, in: part)
            case .chart(let flow): drawChart(flow, in: part, unit: unit)
            case .table(let columns, let rows): drawTable(columns: columns, rows: rows, in: part, unit: unit)
            case .singles(let headline, let lines): drawSingles(headline: headline, lines: lines, in: part, unit: unit)
            case .headline(let title):
                text(title, x: part.x + part.width / 2, baseline: part.y + part.height / 2, size: max(8, min(part.height / 3, Int(90 * unit))),
                     bold: true, alignment: .center, maxWidth: part.width)
            }
            y += h + gap
        }
    }

    func preferredHeight(_ block: Block, unit: Double) -> Int {
        let pixels: Double = switch block {
        case .card: 330
        case .comparison: 250
        case .chart: 520
        case .table(_, let rows): Double(rows.count + 1) * 64
        case .singles(let headline, let lines): (headline == nil ? 0 : 110) + Double((lines.count + 1) / (lines.count > 8 ? 2 : 1)) * 56
        case .headline: 400
        }
        return max(1, Int(pixels * unit))
    }

    /// A table: a header row, then one row per entry, striped; columns as wide as their widest
    /// cell, numbers right-aligned.
    mutating func drawTable(columns: [String], rows: [[String]], in region: Region, unit: Double) {
        guard !columns.isEmpty else { return }
        let minimumRow = 10
        let rowCount = min(rows.count, max(1, region.height / minimumRow - 1))
        let rowHeight = min(max(minimumRow, region.height / (rowCount + 1)), max(minimumRow, Int(70 * unit)))
        var size = max(6, rowHeight * 11 / 20)
        // The name column is bold.
        let nameColumn = columns.firstIndex { $0 == "NAME" || $0 == "PLAYER NAME" }
        let numeric = columns.indices.map { column in
            rows.allSatisfy { row in
                let cell = column < row.count ? row[column] : ""
                return cell.allSatisfy { "0123456789,.+-$%KMB ".contains($0) }
            }
        }
        func widths(at size: Int) -> [Double] {
            columns.indices.map { column in
                let cells = rows.prefix(rowCount).map { column < $0.count ? $0[column] : "" } + [columns[column]]
                // One very long cell is cut rather than shrinking the whole table.
                let widest = cells.map { Self.estimatedWidth($0, size: size) }.max() ?? 0
                return min(widest, Double(region.width) * 0.45) + Double(size) * 1.4
            }
        }
        var natural = widths(at: size)
        if natural.reduce(0, +) > Double(region.width) {
            size = max(6, Int(Double(size) * Double(region.width) / natural.reduce(0, +)))
            natural = widths(at: size)
        }
        // Spread what is left over the columns, at most doubling the gaps.
        let spare = max(0, Double(region.width) - natural.reduce(0, +))
        let extra = min(spare / Double(columns.count), Double(size) * 2.5)
        let columnWidths = natural.map { Int($0 + extra) }
        let headerSize = max(6, size * 4 / 5)
        let headerBaseline = region.y + rowHeight * 7 / 10
        let tableWidth = min(region.width, columnWidths.reduce(0, +))
        box(x: region.x, y: region.y + rowHeight - 2, width: tableWidth, height: 2, color: Palette.accent)
        var x = region.x
        for (column, title) in columns.enumerated() {
            let width = columnWidths[column]
            let right = x + width - Int(Double(size) * 0.7)
            text(title, x: numeric[column] ? right : x, baseline: headerBaseline, size: headerSize, color: Palette.dim, bold: true,
                 alignment: numeric[column] ? .right : .left, maxWidth: width)
            x += width
        }
        for (index, row) in rows.prefix(rowCount).enumerated() {
            let top = region.y + rowHeight * (index + 1)
            if index % 2 == 0 { box(x: region.x, y: top, width: tableWidth, height: rowHeight, color: Palette.stripe) }
            var x = region.x
            for column in columns.indices {
                let width = columnWidths[column]
                let cell = column < row.count ? row[column] : ""
                let right = x + width - Int(Double(size) * 0.7)
                let color = cell.hasPrefix("+") ? Palette.green : cell.hasPrefix("-") && cell.count > 1 ? Palette.red : Palette.text
                text(cell, x: numeric[column] ? right : x, baseline: top + rowHeight * 7 / 10, size: size, color: color,
                     bold: column == nameColumn, alignment: numeric[column] ? .right : .left, maxWidth: width - size / 2)
                x += width
            }
        }
    }

    /// A headline, then `label: value` lines (in two columns when there are many).
    mutating func drawSingles(headline: String?, lines: [(label: String, value: String)], in region: Region, unit: Double) {
        var y = region.y
        if let headline {
            let size = max(8, min(Int(80 * unit), region.height * 7 / 10))
            text(headline, x: region.x, baseline: y + size, size: size, bold: true, maxWidth: region.width)
            y += size * 3 / 2
        }
        guard !lines.isEmpty else { return }
        let columns = lines.count > 8 ? 2 : 1
        let perColumn = (lines.count + columns - 1) / columns
        let lineHeight = max(10, min(Int(56 * unit), (region.y + region.height - y) / max(1, perColumn)))
        let size = max(8, lineHeight * 3 / 5)
        let columnWidth = region.width / columns
        // Values line up after the widest label (at most half a column).
        let labelWidth = min(columnWidth / 2, Int(lines.map { Self.estimatedWidth($0.label, size: size) }.max() ?? 0) + size)
        for (index, line) in lines.enumerated() {
            let column = index / perColumn, row = index % perColumn
            let x = region.x + column * columnWidth
            let baseline = y + row * lineHeight + size
            text(line.label, x: x, baseline: baseline, size: size, color: Palette.dim, maxWidth: labelWidth - size / 2)
            text(line.value, x: x + labelWidth, baseline: baseline, size: size, maxWidth: columnWidth - labelWidth - size)
        }
    }

    /// The eliminated (or at-risk) player: a card with the name large, the place and the prize.
    mutating func drawCard(title: String, place: GFXDataDocument.PlayerPlace, in region: Region) {
        let width = min(region.width, max(region.width * 2 / 3, 600))
        let x = region.x + (region.width - width) / 2
        let border = max(2, region.height / 80)
        box(x: x, y: region.y, width: width, height: region.height, color: title == "ELIMINATED" ? Palette.red : Palette.gold)
        box(x: x + border, y: region.y + border, width: width - 2 * border, height: region.height - 2 * border, color: Palette.panel)
        let pad = max(8, region.height / 10)
        let small = max(8, region.height / 9)
        text(title, x: x + pad, baseline: region.y + pad + small, size: small, color: Palette.dim, bold: true, maxWidth: width / 2)
        let flag = Self.displayValue(place.flag, key: "flag")
        if !Self.isPlaceholder(place.flag) {
            text(flag, x: x + width - pad, baseline: region.y + pad + small, size: small, color: Palette.dim, alignment: .right, maxWidth: width / 3)
        }
        let big = max(8, region.height / 4)
        text(place.playerName, x: x + pad, baseline: region.y + pad + small + big * 5 / 4, size: big, bold: true, maxWidth: width - 2 * pad)
        let line = region.y + region.height - pad
        if place.rank > 0 {
            text("\(Self.ordinal(place.rank)) PLACE", x: x + pad, baseline: line, size: small * 3 / 2, bold: true, maxWidth: width / 2)
        }
        text(place.prize, x: x + width - pad, baseline: line, size: small * 3 / 2, color: Palette.gold, bold: true,
             alignment: .right, maxWidth: width / 2 - pad)
    }

    /// The selected player's share against everyone else: two bars as long as the percentages.
    mutating func drawComparison(_ comparison: GFXDataDocument.ChipComparison, in region: Region) {
        let rows = [(comparison.selectedPlayerName, comparison.selectedPlayerChips, comparison.selectedPlayerPercent, Palette.accent),
                    ("EVERYONE ELSE", comparison.othersChips, comparison.othersPercent, Palette.dim)]
        let rowHeight = region.height / 2
        let size = max(8, rowHeight * 3 / 10)
        for (index, row) in rows.enumerated() {
            let top = region.y + index * rowHeight
            text(row.0, x: region.x, baseline: top + size, size: size, bold: index == 0, maxWidth: region.width / 2)
            text([row.1, row.2].filter { !$0.isEmpty }.joined(separator: "   "), x: region.x + region.width, baseline: top + size,
                 size: size, alignment: .right, maxWidth: region.width / 2)
            let barTop = top + size * 3 / 2
            let barHeight = max(2, rowHeight - size * 2)
            box(x: region.x, y: barTop, width: region.width, height: barHeight, color: Palette.panel)
            let share = Self.percent(row.2) ?? 0
            box(x: region.x, y: barTop, width: Int(Double(region.width) * max(0, min(100, share)) / 100), height: barHeight, color: row.3)
        }
    }

    /// `35.4%` → 35.4.
    static func percent(_ text: String) -> Double? {
        Double(text.filter { $0.isNumber || $0 == "." || $0 == "-" })
    }
}
