import ArgumentParser
import HubCore

/// Options that take a time span, in the one syntax of ``DurationSyntax``: `90s`, `5m`, `2h`,
/// `1d`, `250ms`, `1h30m`; a bare number is seconds, as it was before units existed.
///
/// Use as the `transform:` of an option, so the property keeps its type:
///
///     @Option(help: "…", transform: DurationOption.wholeSeconds) var lease: Int?
package enum DurationOption {
    /// The value name help shows.
    package static let valueName = "duration"

    /// Why a value is not a duration (printed after "The value 'x' is invalid for '--flag'").
    struct NotADuration: Error, CustomStringConvertible {
        let text: String
        let wholeSeconds: Bool
        var description: String {
            wholeSeconds ? "use whole seconds as a duration such as 90s, 5m, 2h or 1d (a bare number is seconds)"
                : "use a duration such as 90s, 5m, 2h or 1d (a bare number is seconds)"
        }
    }

    /// The duration.
    package static func duration(_ text: String) throws -> Duration {
        guard let duration = DurationSyntax.parse(text) else { throw NotADuration(text: text, wholeSeconds: false) }
        return duration
    }

    /// The duration in seconds, with fractions.
    package static func seconds(_ text: String) throws -> Double {
        let components = try duration(text).components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole seconds (`1.5s` and `250ms` are refused).
    package static func wholeSeconds(_ text: String) throws -> Int {
        let components = try duration(text).components
        guard components.attoseconds == 0, components.seconds <= Int64(Int.max) else { throw NotADuration(text: text, wholeSeconds: true) }
        return Int(components.seconds)
    }

    /// `seconds` as help shows a bound: `90s`, `5m`, `1h`, `7d`.
    package static func text(seconds: Int) -> String { DurationSyntax.format(.seconds(seconds)) }
}
