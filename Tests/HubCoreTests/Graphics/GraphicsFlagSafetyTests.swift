import Foundation
import HubCore
import Testing

/// A country value is put into a flag path (`Flag/{value}.png`, a `flag` media source): one that
/// is not a plain name — a path, a URL — must not make a path out of it (issue 13 item 6). It is
/// an unknown country: the unknown flag.
@Suite struct GraphicsFlagSafetyTests {
    typealias G = GraphicsFixtures
    typealias T = FinalTable

    @Test(arguments: ["../../../../etc/passwd", "KR/../../x", "file:///etc/passwd", "http://internal/x", "K\\R", "KR\u{0}", "..", String(repeating: "A", count: 100)])
    func aCountryThatIsNotANameGetsTheUnknownFlag(_ country: String) throws {
        let catalog = try G.catalog()
        var moment = T.moment(hand: 1)
        for index in moment.hand.seats.indices { moment.hand.seats[index].countryCode = country }
        let document = try GraphicsDeriver(catalog: catalog).document(try G.composition("_MAIN Mini Chip Count", in: catalog), at: moment)
        #expect(document.slots.map { $0.fields["flag"] } == Array(repeating: "Flag/Unknown.png", count: 9), "\(country)")
    }

    @Test func plainNamesStillMakeTheirFlag() throws {
        let catalog = try G.catalog()
        var moment = T.moment(hand: 1)
        for index in moment.hand.seats.indices { moment.hand.seats[index].countryCode = "Côte d'Ivoire" }
        let document = try GraphicsDeriver(catalog: catalog).document(try G.composition("_MAIN Mini Chip Count", in: catalog), at: moment)
        #expect(document.slots.first?.fields["flag"] == "Flag/CÔTE D'IVOIRE.png")
    }

    @Test func aMediaSourceDoesNotMakeAPathOutOfAValue() {
        let flags = AEPMediaSource(kind: "flag", pathPattern: "/srv/media/flags/{value}.png", fallback: "/srv/media/flags/unknown.png")
        #expect(flags.resolve("kr") == "/srv/media/flags/KR.png")
        #expect(flags.resolve("../../../etc/passwd") == "/srv/media/flags/unknown.png")
        #expect(flags.resolve("KR/../../x") == "/srv/media/flags/unknown.png")
    }
}
