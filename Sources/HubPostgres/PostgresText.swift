import Foundation

/// Conversions between Swift values and PostgreSQL's text formats.
enum PostgresText {
    static func formatDouble(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < bytes.endIndex else { return nil }
        var value: Int64 = 0
        while index < bytes.endIndex {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(digit)) : m.addingReportingOverflow(Int64(digit))
            if o1 || o2 { return nil }
            value = s
            index += 1
        }
        return value
    }

    // MARK: Timestamps

    /// 4714-11-24 00:00:00 BC (proleptic Gregorian), PostgreSQL's earliest timestamp, in seconds since 1970.
    static let earliestTimestamp: Double = -210_866_803_200
    /// Year 290,000 or so: the latest date whose microseconds since 1970 fit an Int64.
    static let latestTimestamp: Double = 9_000_000_000_000

    /// `2024-01-02 03:04:05.123456+00` in UTC with microseconds. Never traps: a date before
    /// PostgreSQL's first (4713 BC) is `-infinity`, one after year 290,000 (beyond what Int64
    /// microseconds since 1970 hold) is `infinity`, so a cutoff a billion years back from outside
    /// input compares as "any time" instead of killing the process; NaN is sent as `NaN`, which
    /// PostgreSQL refuses (SQLSTATE 22007).
    static func formatTimestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        if interval.isNaN { return "NaN" }
        if interval < earliestTimestamp { return "-infinity" }
        if interval > latestTimestamp { return "infinity" }
        let micros = Int64((interval * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        let bc = y <= 0
        let year = bc ? 1 - y : y
        var text = pad(year, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + " "
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        text += "." + pad(fraction, 6) + "+00"
        if bc { text += " BC" }
        return text
    }

    /// Parses `timestamptz`/`timestamp`/`date` ISO output: `YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH[:MM[:SS]]][ BC]`.
    static func parseTimestamp(_ bytes: ArraySlice<UInt8>) -> Date? {
        let text = Array(bytes)
        if text == Array("infinity".utf8) { return .distantFuture }
        if text == Array("-infinity".utf8) { return .distantPast }
        var i = 0
        func number(maxDigits: Int = 10) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while i < text.count, count < maxDigits, let d = digit(text[i]) {
                value = value * 10 + Int64(d)
                i += 1
                count += 1
            }
            return count == 0 ? nil : value
        }
        func expect(_ c: Character) -> Bool {
            guard i < text.count, text[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard var year = number(), expect("-"), let month = number(maxDigits: 2), expect("-"), let day = number(maxDigits: 2) else {
            return nil
        }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0
        var micros: Int64 = 0
        var offsetSeconds: Int64 = 0
        if i < text.count, text[i] == UInt8(ascii: " ") || text[i] == UInt8(ascii: "T"), i + 1 < text.count, digit(text[i + 1]) != nil {
            i += 1
            guard let h = number(maxDigits: 2), expect(":"), let mi = number(maxDigits: 2), expect(":"), let s = number(maxDigits: 2) else {
                return nil
            }
            hour = h; minute = mi; second = s
            if i < text.count, text[i] == UInt8(ascii: ".") {
                i += 1
                var scale: Int64 = 100_000
                while i < text.count, let d = digit(text[i]) {
                    micros += Int64(d) * scale
                    scale /= 10
                    i += 1
                }
            }
            if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                let sign: Int64 = text[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = number(maxDigits: 2) else { return nil }
                var offset = oh * 3600
                if expect(":") { guard let om = number(maxDigits: 2) else { return nil }; offset += om * 60 }
                if expect(":") { guard let os = number(maxDigits: 2) else { return nil }; offset += os }
                offsetSeconds = sign * offset
            } else if i < text.count, text[i] == UInt8(ascii: "Z") {
                i += 1
            }
        }
        if i < text.count {
            guard Array(text[i...]) == Array(" BC".utf8) else { return nil }
            year = 1 - year
            i = text.count
        }
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func digit(_ byte: UInt8) -> UInt8? {
        let d = byte &- UInt8(ascii: "0")
        return d < 10 ? d : nil
    }

    // MARK: bytea

    static func parseByteaHex(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\\"), bytes[bytes.startIndex + 1] == UInt8(ascii: "x"),
              bytes.count % 2 == 0
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2 - 1)
        var i = bytes.startIndex + 2
        while i < bytes.endIndex {
            guard let hi = hex(bytes[i]), let lo = hex(bytes[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Arrays

    /// A one-dimensional array literal: every element double-quoted with `\` and `"` escaped; nil is NULL.
    static func formatArray(_ elements: [[UInt8]?]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let element else { out.append(contentsOf: Array("NULL".utf8)); continue }
            out.append(UInt8(ascii: "\""))
            for byte in element {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a one-dimensional array's text output into element texts (nil = NULL).
    static func parseArray(_ bytes: ArraySlice<UInt8>) -> [[UInt8]?]? {
        var i = bytes.startIndex
        // Skip an optional dimension decoration such as "[0:2]=".
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "[") {
            guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            i = eq + 1
        }
        guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        i += 1
        let end = bytes.endIndex - 1
        var items: [[UInt8]?] = []
        if i == end { return items }
        while i <= end {
            var item: [UInt8] = []
            var quoted = false
            if i < end, bytes[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < end, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { i += 1; guard i < end else { return nil } }
                    item.append(bytes[i])
                    i += 1
                }
                guard i < end else { return nil }
                i += 1 // closing quote
            } else {
                while i < end, bytes[i] != UInt8(ascii: ",") {
                    if bytes[i] == UInt8(ascii: "{") { return nil } // multi-dimensional
                    item.append(bytes[i])
                    i += 1
                }
            }
            if !quoted && item == Array("NULL".utf8) { items.append(nil) } else { items.append(item) }
            if i == end { break }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return items
    }
}
