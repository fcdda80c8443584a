import Foundation

extension PreviewScene {
    /// A rectangle of the frame.
    struct Region: Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    /// One part of the body of a graphic, with the height it would like at full size.
    enum Block: Sendable {
        case card(title: String, place: GFXDataDocument.PlayerPlace)
        case comparison(GFXDataDocument.ChipComparison)
        case chart(GFXDataDocument.ChipFlow)
        case table(columns: [String], rows: [[String]])
        case singles(headline: String?, lines: [(label: String, value: String)])
        case headline(String)
    }

    /// The frame of a graphics document, laid out by what it holds: a title bar (composition,
    /// event, blinds), then an elimination / at-risk card, the chip comparison bars, the chip flow
    /// chart, the slots (or payouts) as a table, the player history and the single fields, and a
    /// footer with the moment the data comes from. Whatever the document lacks is left out.
    init(document: GFXDataDocument, width: Int, height: Int) {
        self.init(width: width, height: height)
        let unit = min(Double(self.width) / 1920, Double(self.height) / 1080)
        func scaled(_ value: Double) -> Int { max(1, Int((value * unit).rounded())) }
        let margin = max(8, self.width / 25)

        // Title bar.
        let barHeight = scaled(110)
        box(x: 0, y: 0, width: self.width, height: barHeight, color: Palette.titleBar)
        box(x: 0, y: barHeight, width: self.width, height: scaled(6), color: Palette.accent)
        var subtitle: [String] = []
        if let event = [document.singleFields["event_name"], document.payouts?.eventName].compactMap({ $0 }).first(where: { !$0.isEmpty }) {
            subtitle.append(event)
        }
        if let level = document.metadata.blindLevel, !level.isEmpty { subtitle.append("BLINDS \(level)") }
        // The composition name gets the room it needs up to 3/5 of the bar, the subtitle the rest.
        let titleWidth = min(Int(Self.estimatedWidth(document.compName, size: scaled(55))), (self.width - 2 * margin) * 3 / 5)
        let subtitleWidth = subtitle.isEmpty ? 0 : self.width - 2 * margin - titleWidth - margin
        text(document.compName, x: margin, baseline: barHeight * 2 / 3, size: scaled(50), bold: true,
             maxWidth: subtitle.isEmpty ? self.width - 2 * margin : titleWidth)
        text(subtitle.joined(separator: "  ·  "), x: self.width - margin, baseline: barHeight * 2 / 3, size: scaled(32),
             color: Palette.dim, alignment: .right, maxWidth: subtitleWidth)

        // Footer: where the data comes from.
        var footer = [document.category.isEmpty ? document.renderType : document.category]
        if let session = document.metadata.sessionID { footer.append("session \(session)") }
        if let hand = document.metadata.handNum { footer.append("hand #\(hand)") }
        if !document.metadata.generatedAt.isEmpty { footer.append(document.metadata.generatedAt) }
        if let warning = document.metadata.warnings.first {
            footer.append("warning: \(warning)" + (document.metadata.warnings.count > 1 ? " (+\(document.metadata.warnings.count - 1) more)" : ""))
        }
        let footerSize = scaled(22)
        text(footer.joined(separator: "  ·  "), x: margin, baseline: self.height - footerSize, size: footerSize, color: Palette.dim,
             maxWidth: self.width - 2 * margin)

        // Body.
        let top = barHeight + scaled(30)
        let body = Region(x: margin, y: top, width: self.width - 2 * margin, height: max(1, self.height - top - footerSize * 3))
        var blocks = Self.blocks(of: document)
        if blocks.isEmpty { blocks = [.headline(document.compName)] }
        layOut(blocks, in: body, unit: unit)
    }

    /// The body blocks of `document`, top to bottom.
    static func blocks(of document: GFXDataDocument) -> [Block] {
        var blocks: [Block] = []
        if let eliminated = document.elimination {
            blocks.append(.card(title: "ELIMINATED", place: eliminated))
        } else if let atRisk = document.atRisk {
            blocks.append(.card(title: "AT RISK OF ELIMINATION", place: atRisk))
        }
        if let comparison = document.chipComparison { blocks.append(.comparison(comparison)) }
        if let flow = document.chipFlow, !flow.series.isEmpty { blocks.append(.chart(flow)) }
        if let table = slotTable(document.slots) {
            blocks.append(table)
        } else if let payouts = document.payouts, !payouts.entries.isEmpty {
            let rows = payouts.entries.sorted { $0.slotIndex < $1.slotIndex }.map { [$0.rank, $0.prize] }
                .filter { !isPlaceholder($0[1]) || !isPlaceholder($0[0]) }
            if !rows.isEmpty { blocks.append(.table(columns: ["RANK", "PRIZE"], rows: rows)) }
        }
        if let history = document.playerHistory { blocks.append(historyTable(history)) }
        var singles = document.singleFields.filter { !isPlaceholder($0.value) }
        let headlineKey = ["name", "player_name", "title", "headline", "message", "text"].first { singles[$0] != nil }
        let headline = headlineKey.flatMap { singles.removeValue(forKey: $0) }
        let lines = singles.keys.sorted { (columnRank($0), $0) < (columnRank($1), $1) }.map { key in
            (label: humanised(key), value: displayValue(singles[key]!, key: key))
        }
        if headline != nil || !lines.isEmpty { blocks.append(.singles(headline: headline, lines: lines)) }
        return blocks
    }

    /// The slots as a table: the field keys in broadcast order as columns, one row per slot that
    /// holds more than defaults (nil when none does).
    static func slotTable(_ slots: [GFXDataDocument.Slot]) -> Block? {
        let filled = slots.sorted { $0.slotIndex < $1.slotIndex }.filter { slot in
            slot.fields.contains { key, value in key != "rank" && !isPlaceholder(value) }
        }
        guard !filled.isEmpty else { return nil }
        let keys = Set(filled.flatMap(\.fields.keys)).sorted { (columnRank($0), $0) < (columnRank($1), $1) }
        // A column of nothing but defaults (every flag unknown) is left out.
        let columns = keys.filter { key in filled.contains { !isPlaceholder($0.fields[key] ?? "") } }
        let rows = filled.map { slot in columns.map { displayValue(slot.fields[$0] ?? "", key: $0) } }
        return .table(columns: columns.map { humanised($0).uppercased() }, rows: rows)
    }

    static func historyTable(_ history: GFXDataDocument.PlayerHistory) -> Block {
        var rows = [["NOW", groupedDigits(history.currentChips), ""]]
        for (hands, chips, change) in [(10, history.chips10HandsAgo, history.chipChange10h), (20, history.chips20HandsAgo, history.chipChange20h),
                                       (30, history.chips30HandsAgo, history.chipChange30h)] {
            guard let chips else { continue }
            rows.append(["\(hands) HANDS AGO", groupedDigits(chips), change])
        }
        return .table(columns: ["STACK", "CHIPS", "CHANGE"], rows: rows)
    }

    /// The order of columns and lines: rank, name, chips, bbs, prize, date, time, … then the rest.
    static func columnRank(_ key: String) -> Int {
        let order = ["rank", "name", "player_name", "flag", "country", "chips", "bbs", "vpip", "change", "prize",
                     "date", "time", "event_name", "title", "location"]
        return order.firstIndex(of: key.lowercased()) ?? order.count
    }

    /// A value that only stands for "nothing here" (the catalog's defaults for empty slots).
    static func isPlaceholder(_ value: String) -> Bool {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || ["-", "–", "—", "$0"].contains(trimmed) || trimmed.hasSuffix("Unknown.png")
    }

    /// `event_name` → `Event name`.
    static func humanised(_ key: String) -> String {
        let words = key.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// A flag or photo path shows as its file name without extension (`Flag/Korea.png` → `Korea`).
    /// An unknown flag shows as nothing.
    static func displayValue(_ value: String, key: String) -> String {
        if value.hasSuffix("Unknown.png") { return "" }
        let lower = value.lowercased()
        let isImage = [".png", ".jpg", ".jpeg", ".webp"].contains { lower.hasSuffix($0) }
        guard isImage || key.hasPrefix("flag") || key.hasPrefix("photo") else { return value }
        return ((value as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// `1500000` → `1,500,000`.
    static func groupedDigits(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// `9` → `9TH`, `2` → `2ND`, `11` → `11TH`.
    static func ordinal(_ value: Int) -> String {
        let suffix = (11...13).contains(value % 100) ? "TH" : [1: "ST", 2: "ND", 3: "RD"][value % 10] ?? "TH"
        return "\(value)\(suffix)"
    }
}

extension GFXDataDocument.ChipFlow {
    /// The stacks the chart draws: the longest of the 30, 20 and 10 hand series (30 on a tie).
    var series: [Int64] {
        [chips30h, chips20h, chips10h].max { $0.count < $1.count } ?? []
    }
}
