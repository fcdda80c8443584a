import Foundation

/// How the broadcast writes numbers, money, blinds, dates and times (GRAPHICS.md §2). Pure and
/// locale-independent: the same input gives the same text on every machine.
package enum GraphicsFormat {
    /// `1500000` → `1,500,000`.
    package static func chips(_ value: Int64) -> String { BroadcastFormat.number(value) }

    /// Stack in big blinds, always one decimal, half away from zero: `75.0`, `111.3`; nil when
    /// the big blind is 0 or unknown (never the upstream's "75.").
    package static func bigBlinds(_ stack: Int64, bigBlind: Int64) -> String? {
        guard bigBlind > 0 else { return nil }
        // Whole big blinds and the tenth apart: stack × 10 does not fit for stacks past Int64.max / 10.
        let big = bigBlind.magnitude
        var (whole, rest) = stack.magnitude.quotientAndRemainder(dividingBy: big)
        var (tenth, remainder) = big.dividingFullWidth(rest.multipliedFullWidth(by: 10))   // rest < big: the tenth is 0…9
        if remainder >= big - remainder { tenth += 1 }
        if tenth == 10 { (whole, tenth) = (whole + 1, 0) }
        let text = "\(grouped(whole)).\(tenth)"
        return stack < 0 ? "-" + text : text
    }

    /// Digits grouped with commas, for any magnitude (Int64.min's does not fit in Int64).
    static func grouped(_ value: UInt64) -> String {
        let digits = String(value)
        var text = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(character)
        }
        return text
    }

    /// `a / b` rounded half up, without overflow for any `Int64` magnitudes.
    static func roundedQuotient(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r >= b - r ? q + 1 : q
    }

    /// Signed change with commas: `+120,000`, `-35,000`, `0`.
    package static func change(_ delta: Int64) -> String {
        delta > 0 ? "+" + BroadcastFormat.number(delta) : BroadcastFormat.number(delta)
    }

    /// A percentage with one decimal: `45.0%` (never "45.%").
    package static func percent(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        let tenths = (value * 10).rounded(.toNearestOrAwayFromZero)
        guard abs(tenths) < 1e15 else { return "" }
        let t = Int64(tenths)
        return "\(t < 0 ? "-" : "")\(t.magnitude / 10).\(t.magnitude % 10)%"
    }

    /// Tenths of a percent as text: `354` → `35.4%`.
    package static func percent(tenths: Int64) -> String {
        "\(tenths < 0 ? "-" : "")\(tenths.magnitude / 10).\(tenths.magnitude % 10)%"
    }

    /// Money in cents as the show writes it: `$1,000,000`; cents only when there are some
    /// (`$107,500.50`).
    package static func money(cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let dollars = BroadcastFormat.number(Int64(clamping: magnitude / 100))
        let rest = magnitude % 100
        return rest == 0 ? "\(sign)$\(dollars)" : "\(sign)$\(dollars).\(rest < 10 ? "0" : "")\(rest)"
    }

    /// A blind or ante in short form: `80`, `1.5K`, `300K`, `1.25M`, `2B`.
    package static func short(_ value: Int64) -> String {
        let magnitude = value.magnitude
        let sign = value < 0 ? "-" : ""
        for (unit, suffix) in [(UInt64(1_000_000_000), "B"), (1_000_000, "M"), (1_000, "K")] where magnitude >= unit {
            let whole = magnitude / unit
            let hundredths = (magnitude % unit) * 100 / unit
            if hundredths == 0 { return "\(sign)\(whole)\(suffix)" }
            let fraction = hundredths % 10 == 0 ? "\(hundredths / 10)" : (hundredths < 10 ? "0\(hundredths)" : "\(hundredths)")
            return "\(sign)\(whole).\(fraction)\(suffix)"
        }
        return "\(sign)\(magnitude)"
    }

    /// The hand's real blinds: `300K/600K (600K)`, the ante in brackets when there is one; a
    /// third blind (straddle) joins with `/`. Never assumes SB = BB/2.
    package static func blinds(small: Int64, big: Int64, third: Int64 = 0, ante: Int64) -> String? {
        guard big > 0 || small > 0 else { return nil }
        var text = "\(short(small))/\(short(big))"
        if third > 0 { text += "/\(short(third))" }
        if ante > 0 { text += " (\(short(ante)))" }
        return text
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2026-01-14` → `Jan 14`, `2026-12-08` → `Dec 08` (the reference's `TO_CHAR(d, 'Mon DD')`);
    /// nil for a malformed date.
    package static func date(_ isoDate: String) -> String? {
        let parts = isoDate.prefix(10).split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), (1...12).contains(month), let day = Int(parts[2]), (1...31).contains(day) else { return nil }
        return "\(months[month - 1]) \(day < 10 ? "0" : "")\(day)"
    }

    /// `17:30[:00]` → `05:30 PM`; nil for a malformed time.
    package static func time(_ clock: String) -> String? {
        let parts = clock.split(separator: ":")
        guard parts.count >= 2, let hour = Int(parts[0]), (0...23).contains(hour), let minute = Int(parts[1]), (0...59).contains(minute) else { return nil }
        let twelve = hour % 12 == 0 ? 12 : hour % 12
        return "\(twelve < 10 ? "0" : "")\(twelve):\(minute < 10 ? "0" : "")\(minute) \(hour < 12 ? "AM" : "PM")"
    }
}
