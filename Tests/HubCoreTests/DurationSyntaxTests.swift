import HubCore
import Testing

/// The one duration syntax of the command-line flags.
@Suite struct DurationSyntaxTests {
    @Test(arguments: [
        ("90s", Duration.seconds(90)), ("5m", .seconds(300)), ("2h", .seconds(7200)), ("1d", .seconds(86_400)),
        ("250ms", .milliseconds(250)), ("1h30m", .seconds(5400)), ("1.5h", .seconds(5400)), ("0.05s", .milliseconds(50)),
        (" 2H ", .seconds(7200)), ("0", .zero), ("30", .seconds(30)), ("0.5", .milliseconds(500)), ("3600", .seconds(3600)),
    ])
    func parses(text: String, expected: Duration) {
        #expect(DurationSyntax.parse(text) == expected, "\(text)")
    }

    @Test(arguments: ["", "-5", "-5s", "5x", "h", "1.2.3s", "s5", "5 s", "yesterday", "1e3", "nan", "inf", "5m-1s", "."])
    func refuses(text: String) {
        #expect(DurationSyntax.parse(text) == nil, "\(text)")
    }

    @Test func formatsInTheLargestExactUnit() {
        #expect(DurationSyntax.format(.seconds(90)) == "90s")
        #expect(DurationSyntax.format(.seconds(300)) == "5m")
        #expect(DurationSyntax.format(.seconds(7200)) == "2h")
        #expect(DurationSyntax.format(.seconds(86_400)) == "1d")
        #expect(DurationSyntax.format(.milliseconds(250)) == "250ms")
        #expect(DurationSyntax.format(.zero) == "0s")
        for text in ["90s", "5m", "2h", "1d", "250ms"] { #expect(DurationSyntax.format(DurationSyntax.parse(text)!) == text) }
    }
}
