import Foundation
@testable import HubCore
import HubTestSupport
import Testing

/// Issue 13 item 1: a PokerGFX export with numbers no chip count can have (`1e19`, 20 digits,
/// Int64's extremes) is a refused file with its reason — never a crash of hub-sync.
@Suite struct GFXImporterNumberTests {
    typealias F = SyncFixtures

    /// The second sample with fields of hand 1's first player replaced by raw JSON number text.
    static func export(_ fields: [String: String]) throws -> Data {
        var export = try F.editable(F.secondName)
        var hands = export["Hands"]!.arrayValue!
        if case .object(var hand) = hands[1], case .array(var players) = hand["Players"]!, case .object(var player) = players[0] {
            for field in fields.keys { player[field] = .string("@@\(field)@@") }
            players[0] = .object(player)
            hand["Players"] = .array(players)
            hands[1] = .object(hand)
        }
        export["Hands"] = .array(hands)
        var text = String(decoding: try F.encode(export), as: UTF8.self)
        for (field, raw) in fields { text = text.replacingOccurrences(of: "\"@@\(field)@@\"", with: raw) }
        return Data(text.utf8)
    }

    @Test(arguments: [
        ("EndStackAmt", "1e19"),
        ("StartStackAmt", "12345678901234567890"),
        ("EndStackAmt", "-99999999999999999999"),
        ("EndStackAmt", "9223372036854775807"),       // Int64.max: end − start overflowed
        ("StartStackAmt", "-9223372036854775808"),    // Int64.min
        ("CumulativeWinningsAmt", "9007199254740992"), // 2^53: beyond any exact JSON integer
    ])
    func hugeStackNumbersAreARefusedFile(field: String, raw: String) throws {
        var fields = [field: raw]
        // With the largest end stack too, the gain end − start is beyond Int64.
        if raw == "-9223372036854775808" { fields["EndStackAmt"] = "9223372036854775807" }
        let data = try Self.export(fields)
        let error = #expect(throws: SyncFileError.self) { try GFXImporter.check(data, path: "/nas/GG/PGFX_live_data_export GameID=777.json") }
        #expect(error?.reason.isEmpty == false)
        if Int64(raw) != nil {
            // Read as a number, refused as a chip amount: the field is named.
            #expect(error?.position?.hasPrefix("Hands[1].Players[0]") == true, "\(String(describing: error))")
        }
    }

    @Test func plausibleLargeStacksStillImport() throws {
        let data = try Self.export(["EndStackAmt": "9007199254740991"])
        let record = try GFXImporter.check(data, path: "/nas/GG/PGFX_live_data_export GameID=778.json")
        #expect(record.hands[1].players[0].endStack == 9_007_199_254_740_991)
    }
}
