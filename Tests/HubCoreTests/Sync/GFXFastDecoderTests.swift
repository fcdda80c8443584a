import Foundation
@testable import HubCore
import Testing

/// The fast PokerGFX reader against the Codable path it stands in for: whatever it accepts it
/// reads exactly as `JSONDecoder` and ``GFXExport/init(from:)`` do, and whatever it does not
/// accept is left to them (so a bad file's position and reason never change).
@Suite struct GFXFastDecoderTests {
    typealias F = SyncFixtures

    /// The real exports, and variants of them that stay valid: nulls and missing optional fields,
    /// unknown members, escapes and non-ASCII text, cards as an array, other number forms, indentation.
    @Test func validExportsReadTheSameBothWays() throws {
        var documents: [(String, Data)] = []
        for name in [F.firstName, F.secondName] { documents.append((name, try F.sample(name))) }

        var edited = try F.editable(F.secondName)
        edited["Type"] = .null
        edited["Payouts"] = nil
        edited["EventTitle"] = .string("Main Event \"Day 2\" — Café \u{1F0A1} \\ / \t")
        edited["Extra"] = .object(["nested": .array([.integer(1), .number(2.5e-3), .string("x\u{0}y"), .null, .bool(true)])])
        var hands = edited["Hands"]!.arrayValue!
        if case .object(var hand) = hands[1] {
            hand["Description"] = .null
            hand["Duration"] = nil
            hand["NumBoards"] = nil
            hand["FlopDrawBlinds"] = .object(["AnteType": .string("BB_ANTE"), "BigBlindAmt": .integer(-5), "Flag": .bool(false), "Level": .null])
            hand["StudLimits"] = .null
            hand["Unknown"] = .array([.object(["a": .object([:])]), .array([])])
            if case .array(var players) = hand["Players"]!, case .object(var player) = players[0] {
                player["Name"] = .string("Ünal Ağa 김민수")
                player["LongName"] = .null
                player["VPIPPercent"] = .number(33.333333333333336)
                player["PreFlopRaisePercent"] = .number(-0.0)
                player["WentToShowDownPercent"] = .number(1e-7)
                player["HoleCards"] = .array([.string("ac 10d")])
                player["SittingOut"] = nil
                players[0] = .object(player)
                hand["Players"] = .array(players)
            }
            if case .array(var events) = hand["Events"]!, case .object(var event) = events[0] {
                event["BoardCards"] = .array([.string("10d"), .string("js")])
                event["DateTimeUTC"] = .string("2025-10-16T08:31:42.6301089Z")
                event["Pot"] = .integer(9_007_199_254_740_991)
                events[0] = .object(event)
                hand["Events"] = .array(events)
            }
            hands[1] = .object(hand)
        }
        edited["Hands"] = .array(hands)
        documents.append(("edited", try F.encode(edited)))
        documents.append(("edited, indented", try Self.indented(edited)))
        // Escapes the encoder does not write: \u escapes (with a surrogate pair) and an escaped slash.
        let escaped = String(decoding: try F.sample(F.firstName), as: UTF8.self)
            .replacingOccurrences(of: "\"EventTitle\":\"\"", with: #""EventTitle":"\u00e9t\u00E9 \ud83c\udca1 \/ \u0041""#)
            .replacingOccurrences(of: "\"SoftwareVersion\":\"PokerGFX 3.2\"", with: "\"SoftwareVersion\":\"PokerGFX 3.2\" ")
        documents.append(("escaped", Data(escaped.utf8)))
        // No ID: the Codable path reads it as absent too.
        var anonymous = try F.editable(F.firstName)
        anonymous["ID"] = nil
        documents.append(("anonymous", try F.encode(anonymous)))

        for (name, data) in documents {
            let codable = try GFXImporter.decodeWithCodable(data)
            let fast = try #require(GFXFastDecoder.decode(data), "\(name): the fast reader gave up on a valid export")
            #expect(Self.difference(fast, codable) == nil, "\(name): \(Self.difference(fast, codable) ?? "")")
        }
        let escapedExport = try #require(GFXFastDecoder.decode(documents.first { $0.0 == "escaped" }!.1))
        #expect(escapedExport.eventTitle == "été \u{1F0A1} / A")
    }

    /// Files the Codable path refuses, or reads in ways the fast reader does not imitate: the fast
    /// reader gives up on every one, so the reason reported is the Codable path's.
    @Test func whatTheFastReaderDoesNotReadItLeavesToTheCodablePath() throws {
        let good = String(decoding: try F.sample(F.secondName), as: UTF8.self)
        let cases: [(String, String)] = [
            ("truncated", String(good.prefix(3_000))),
            ("trailing garbage", good + "x"),
            ("HandNum a string", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":\"two\"")),
            ("HandNum missing", good.replacingOccurrences(of: "\"HandNum\":2,", with: "")),
            ("HandNum null", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":null")),
            ("an integer written 2.0", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":2.0")),
            ("an integer written 2e0", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":2e0")),
            ("a leading zero", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":02")),
            ("an ID past Int64", good.replacingOccurrences(of: "\"ID\":638961999170907267", with: "\"ID\":92233720368547758070")),
            ("a repeated key", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"HandNum\":2,\"HandNum\":3")),
            ("a key with an escape", good.replacingOccurrences(of: "\"HandNum\":2", with: "\"Hand\\u004eum\":2")),
            ("a bool as 0", good.replacingOccurrences(of: "\"SittingOut\":false", with: "\"SittingOut\":0")),
            ("a percentage as a string", good.replacingOccurrences(of: "\"VPIPPercent\":0", with: "\"VPIPPercent\":\"0\"")),
            ("a huge double", good.replacingOccurrences(of: "\"VPIPPercent\":0", with: "\"VPIPPercent\":1e999")),
            ("hole cards null inside", good.replacingOccurrences(of: "\"HoleCards\":[\"\"]", with: "\"HoleCards\":[null]")),
            ("a blind as a fraction", good.replacingOccurrences(of: "\"BlindLevel\":0", with: "\"BlindLevel\":0.5")),
            ("a raw control character", good.replacingOccurrences(of: "\"EventTitle\":\"\"", with: "\"EventTitle\":\"a\tb\"")),
            ("a lone surrogate", good.replacingOccurrences(of: "\"EventTitle\":\"\"", with: #""EventTitle":"\ud83c""#)),
            ("a byte-order mark", "\u{FEFF}" + good),
            ("not an object", "[" + good + "]"),
        ]
        for (name, text) in cases {
            #expect(text != good, "\(name): the case did not change the file")
            #expect(GFXFastDecoder.decode(Data(text.utf8)) == nil, "\(name): the fast reader read it")
        }
        var invalid = Data(good.prefix(60).utf8)
        invalid.append(contentsOf: [0xFF, 0xFE])
        invalid.append(Data(good.dropFirst(60).utf8))
        #expect(GFXFastDecoder.decode(invalid) == nil, "invalid UTF-8")
    }

    /// Seeded mutations of the real exports (bytes flipped, cut, repeated, swapped for JSON
    /// punctuation): whenever the fast reader reads one, the Codable path reads the same.
    @Test func mutatedExportsNeverReadDifferently() throws {
        var random = SplitMix64(seed: 0x5EED_F00D)
        let samples = [try F.sample(F.firstName), try F.sample(F.secondName)]
        let alphabet = Array("{}[]\":,0123456789-.eEtrufalsn \\u".utf8)
        var fastRead = 0, bothRead = 0
        for round in 0..<4_000 {
            var bytes = [UInt8](samples[round % 2])
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 8)))
                case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + Int(random.next() % 16))], at: at)
                default: bytes = Array(bytes.prefix(at))
                }
                if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
            }
            let data = Data(bytes)
            guard let fast = GFXFastDecoder.decode(data) else { continue }
            fastRead += 1
            let codable: GFXExport
            do {
                codable = try GFXImporter.decodeWithCodable(data)
            } catch {
                Issue.record("round \(round): the fast reader read a file the Codable path refuses (\(error)): \(String(decoding: data, as: UTF8.self))")
                continue
            }
            bothRead += 1
            if let difference = Self.difference(fast, codable) {
                Issue.record("round \(round): \(difference): \(String(decoding: data, as: UTF8.self))")
            }
        }
        #expect(fastRead > 100, "the mutations should leave some files readable (\(fastRead))")
        #expect(bothRead == fastRead)
    }

    // MARK: Helpers

    static func indented(_ object: [String: JSONValue]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        return try encoder.encode(JSONValue.object(object))
    }

    /// Where `a` and `b` differ, or nil when they hold the same values (doubles compared bit for bit).
    static func difference(_ a: GFXExport, _ b: GFXExport) -> String? {
        func check<T: Equatable>(_ x: T, _ y: T, _ at: String) -> String? { x == y ? nil : "\(at): \(x) ≠ \(y)" }
        func bits(_ x: Double, _ y: Double, _ at: String) -> String? { x.bitPattern == y.bitPattern ? nil : "\(at): \(x) ≠ \(y)" }
        var found: [String?] = [
            check(a.id, b.id, "ID"), check(a.createdAt, b.createdAt, "CreatedDateTimeUTC"), check(a.eventTitle, b.eventTitle, "EventTitle"),
            check(a.softwareVersion, b.softwareVersion, "SoftwareVersion"), check(a.type, b.type, "Type"), check(a.payouts, b.payouts, "Payouts"),
            check(a.hands.count, b.hands.count, "Hands.count"),
        ]
        for (i, (h, k)) in zip(a.hands, b.hands).enumerated() {
            let at = "Hands[\(i)]"
            let hand: [String?] = [
                check(h.handNum, k.handNum, "\(at).HandNum"), check(h.gameVariant, k.gameVariant, "\(at).GameVariant"),
                check(h.gameClass, k.gameClass, "\(at).GameClass"), check(h.betStructure, k.betStructure, "\(at).BetStructure"),
                check(h.duration, k.duration, "\(at).Duration"), check(h.startDateTimeUTC, k.startDateTimeUTC, "\(at).StartDateTimeUTC"),
                check(h.recordingOffsetStart, k.recordingOffsetStart, "\(at).RecordingOffsetStart"), check(h.anteAmt, k.anteAmt, "\(at).AnteAmt"),
                check(h.bombPotAmt, k.bombPotAmt, "\(at).BombPotAmt"), check(h.numBoards, k.numBoards, "\(at).NumBoards"),
                check(h.runItNumTimes, k.runItNumTimes, "\(at).RunItNumTimes"), check(h.description, k.description, "\(at).Description"),
                check(h.flopDrawBlinds, k.flopDrawBlinds, "\(at).FlopDrawBlinds"), check(h.studLimits, k.studLimits, "\(at).StudLimits"),
                check(h.players.count, k.players.count, "\(at).Players.count"), check(h.events.count, k.events.count, "\(at).Events.count"),
            ]
            found += hand
            for (j, (p, q)) in zip(h.players, k.players).enumerated() {
                let at = "\(at).Players[\(j)]"
                let player: [String?] = [
                    check(p.playerNum, q.playerNum, "\(at).PlayerNum"), check(p.name, q.name, "\(at).Name"), check(p.longName, q.longName, "\(at).LongName"),
                    check(p.startStackAmt, q.startStackAmt, "\(at).StartStackAmt"), check(p.endStackAmt, q.endStackAmt, "\(at).EndStackAmt"),
                    check(p.cumulativeWinningsAmt, q.cumulativeWinningsAmt, "\(at).CumulativeWinningsAmt"),
                    check(p.blindBetStraddleAmt, q.blindBetStraddleAmt, "\(at).BlindBetStraddleAmt"), check(p.holeCards, q.holeCards, "\(at).HoleCards"),
                    check(p.sittingOut, q.sittingOut, "\(at).SittingOut"), check(p.eliminationRank, q.eliminationRank, "\(at).EliminationRank"),
                    bits(p.vpipPercent, q.vpipPercent, "\(at).VPIPPercent"), bits(p.preFlopRaisePercent, q.preFlopRaisePercent, "\(at).PreFlopRaisePercent"),
                    bits(p.aggressionFrequencyPercent, q.aggressionFrequencyPercent, "\(at).AggressionFrequencyPercent"),
                    bits(p.wentToShowDownPercent, q.wentToShowDownPercent, "\(at).WentToShowDownPercent"),
                ]
                found += player
            }
            for (j, (e, f)) in zip(h.events, k.events).enumerated() {
                let at = "\(at).Events[\(j)]"
                let event: [String?] = [
                    check(e.eventType, f.eventType, "\(at).EventType"), check(e.playerNum, f.playerNum, "\(at).PlayerNum"),
                    check(e.betAmt, f.betAmt, "\(at).BetAmt"), check(e.pot, f.pot, "\(at).Pot"), check(e.boardCards, f.boardCards, "\(at).BoardCards"),
                    check(e.boardNum, f.boardNum, "\(at).BoardNum"), check(e.dateTimeUTC, f.dateTimeUTC, "\(at).DateTimeUTC"),
                    check(e.numCardsDrawn, f.numCardsDrawn, "\(at).NumCardsDrawn"),
                ]
                found += event
            }
        }
        return found.lazy.compactMap { $0 }.first
    }
}
