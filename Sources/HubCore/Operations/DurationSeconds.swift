import Foundation

extension Duration {
    /// The duration in seconds, with fractions (for `make_interval(secs => …)` and comparisons).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The one duration syntax of every command-line flag that takes a time span: a number with a
/// unit — `250ms`, `90s`, `5m`, `2h`, `1d` — or several in a row (`1h30m`); fractions are allowed
/// (`1.5h`). A bare number is seconds, which is what every such flag meant before units existed.
package enum DurationSyntax {
    /// The units, longest spelling first so `ms` is not read as `m`.
    static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]

    /// What the flags' help says about the syntax.
    package static let summary = "a duration such as 90s, 5m, 2h or 1d (a bare number is seconds)"

    /// Parses `text`, or returns nil when it is not a duration (negative, empty, an unknown unit,
    /// more than about 100 years).
    package static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        if let bare = number(Substring(trimmed)) { return duration(bare) }
        var rest = Substring(trimmed)
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = number(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.seconds
        }
        return duration(total)
    }

    /// A non-negative decimal number (`12`, `1.5`, `.5`), or nil.
    static func number(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "." else { return nil }
        return Double(text)
    }

    static func duration(_ seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= 100 * 365 * 86_400 else { return nil }
        let whole = seconds.rounded(.towardZero)
        let milliseconds = ((seconds - whole) * 1000).rounded()
        return .seconds(Int64(whole)) + .milliseconds(Int64(milliseconds))
    }

    /// `duration` in the syntax, in its largest exact unit: `90s`, `5m`, `2h`, `1d`, `250ms`.
    package static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        for (suffix, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds > 0 && seconds % size == 0 {
            return "\(seconds / size)\(suffix)"
        }
        return "\(seconds)s"
    }
}
