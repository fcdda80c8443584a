import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct UnifiedPlayerTests {
    typealias F = PlayerFixtures

    /// SPEC §5, written out independently of `PlayerField.priority`: which source wins each field.
    static let expectedPriority: [PlayerField: [PlayerSource]] = [
        .name: [.manual, .wsop, .gfx],
        .nameKorean: [.manual],
        .countryCode: [.manual, .wsop],
        .profileImage: [.manual, .wsop],
        .bio: [.manual],
        .notableWins: [.manual],
        .chipCount: [.wsop, .gfx],
        .handData: [.gfx],
    ]

    @Test func theCodeTableIsTheSpecTable() {
        for field in PlayerField.allCases {
            #expect(field.priority == Self.expectedPriority[field], "\(field)")
        }
        #expect(PlayerField.overridable == [.name, .nameKorean, .countryCode, .bio, .notableWins])
    }

    /// Every field against every combination of sources that hold a value for it: the view
    /// answers the value of the highest-priority source that may give the field, or nothing.
    @Test func mergePriorityOverEveryFieldAndSourceCombination() async throws {
        let pool = try await SyncFixtures.migratedPool()
        let store = PlayerStore(pool: pool)
        let event = try await F.event(pool)
        var cases = 0
        for field in PlayerField.allCases {
            for mask in 0..<8 {
                let present = Set([PlayerSource.manual, .wsop, .gfx].enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
                // A WSOP+ record exists when WSOP+ holds the value, or as the base of a manual-only
                // player; a name is never missing from a record, so "manual only" has no name case.
                let wsopRecord = present.contains(.wsop) || !present.contains(.gfx)
                if field == .name && wsopRecord && !present.contains(.wsop) { continue }
                cases += 1
                let tag = "\(field.rawValue)-\(mask)"
                var wsopID: Int64?, gfxID: Int64?
                if wsopRecord {
                    let full = present.contains(.wsop)
                    wsopID = try await F.wsopPlayer(pool, key: "P-\(tag)", name: "WSOP \(tag)",
                                                    country: full ? "US" : nil, photo: full ? "https://wsop.example/\(tag).png" : nil)
                    if full { try await F.chips(pool, event: event.id, player: wsopID!, 1_500_000) }
                }
                if present.contains(.gfx) {
                    gfxID = try await F.gfxPlayer(pool, name: "GFX \(tag)")
                    try await F.gfxHand(pool, player: gfxID!, endStack: 42_000)
                    if let wsopID { try await F.link(pool, wsop: wsopID, gfx: gfxID!) }
                }
                var player = try await store.player(wsopID.map { "wsop:\($0)" } ?? "gfx:\(gfxID!)")
                if present.contains(.manual) {
                    if field == .profileImage {
                        _ = try await store.registerImage(player, file: try F.pngFile(), actor: "test", reason: nil)
                    } else if field.isOverridable {
                        _ = try await store.override(player, field: field.rawValue, value: field == .countryCode ? "KR" : "Manual \(tag)",
                                                     actor: "test", reason: "table test")
                    } else {
                        #expect(throws: HubError.self, "\(tag): \(field) is not overridable") {
                            try PlayerStore.validateOverride(field: field.rawValue, value: "1")
                        }
                    }
                    player = try await store.player(player.ref)
                }
                let winner = Self.expectedPriority[field]!.first { present.contains($0) && ($0 != .manual || field.isOverridable || field == .profileImage) }
                #expect(player.sources[field] == winner, "\(tag): sources \(present.map(\.rawValue).sorted())")
                let expected: String? = switch winner {
                case .manual?: field == .countryCode ? "KR" : field == .profileImage ? nil : "Manual \(tag)"
                case .wsop?: [.name: "WSOP \(tag)", .countryCode: "US", .profileImage: "https://wsop.example/\(tag).png", .chipCount: "1500000"][field]
                case .gfx?: [.name: "GFX \(tag)", .chipCount: "42000", .handData: "1 hands"][field]
                case nil: nil
                }
                if field == .profileImage && winner == .manual {
                    #expect(player.profileImage?.hasSuffix(".png") == true && player.profileImage?.contains("photo-") == true, "\(tag)")
                } else {
                    #expect(player.value(of: field) == expected, "\(tag): sources \(present.map(\.rawValue).sorted())")
                }
            }
        }
        #expect(cases == 62)
        await pool.close()
    }

    @Test func overridesApplyOnlyWhileActiveAndInsideTheirWindow() async throws {
        let pool = try await SyncFixtures.migratedPool()
        let store = PlayerStore(pool: pool)
        let id = try await F.wsopPlayer(pool, key: "P-1", name: "Phil Ivey", country: "US")
        let player = try await store.player("wsop:\(id)")
        let now = Date()
        let scheduled = try await store.override(player, field: "name", value: "Not Yet", validFrom: now.addingTimeInterval(3600),
                                                 actor: "test", reason: "starts in an hour")
        _ = try await store.override(player, field: "country_code", value: "GB", validFrom: now.addingTimeInterval(-7200),
                                     validUntil: now.addingTimeInterval(-3600), actor: "test", reason: "was valid yesterday")
        var seen = try await store.player("wsop:\(id)")
        #expect(seen.name == "Phil Ivey" && seen.sources[.name] == .wsop, "not yet active")
        #expect(seen.countryCode == "US" && seen.sources[.countryCode] == .wsop, "expired")

        let applied = try await store.override(player, field: "name", value: "피르 아이비", validUntil: now.addingTimeInterval(3600), actor: "test", reason: nil)
        seen = try await store.player("wsop:\(id)")
        #expect(seen.name == "피르 아이비" && seen.sources[.name] == .manual, "active and inside the window")
        let states = Dictionary(uniqueKeysWithValues: try await store.overrides(of: seen).map { ($0.id, $0.state) })
        #expect(states[scheduled] == .scheduled && states[applied] == .applied && states.values.contains(.expired))

        try await store.deactivateOverride(applied, actor: "test", reason: "wrong")
        #expect(try await store.player("wsop:\(id)").name == "Phil Ivey", "switched off")
        await #expect(throws: HubError.self) { try await store.deactivateOverride(applied, actor: "test", reason: nil) }
        await #expect(throws: HubError.self, "a window that ends before it begins") {
            try await store.override(player, field: "bio", value: "x", validFrom: now, validUntil: now.addingTimeInterval(-1), actor: "test", reason: nil)
        }
        await pool.close()
    }

    @Test func autoLinkingLinksUniqueNamesAndReportsAmbiguousPairs() async throws {
        let pool = try await SyncFixtures.migratedPool()
        let store = PlayerStore(pool: pool)
        // Two WSOP+ players whose names normalize alike: a GFX player of that name is ambiguous.
        try await F.wsopPlayer(pool, key: "P-10", name: "José Álvarez")
        try await F.wsopPlayer(pool, key: "P-11", name: "Jose Alvarez")
        let jose = try await F.gfxPlayer(pool, name: "JOSE  ALVAREZ")
        // Two GFX spellings that both match one WSOP+ player: ambiguous the other way round.
        try await F.wsopPlayer(pool, key: "P-20", name: "Zoe Ray")
        try await F.gfxPlayer(pool, name: "Zoë Ray")
        try await F.gfxPlayer(pool, name: "Zoe Ray")
        // Unique matches link; Hangul is kept intact.
        let kimWSOP = try await F.wsopPlayer(pool, key: "P-30", name: "김민수", country: "KR")
        let kim = try await F.gfxPlayer(pool, name: "김민수")
        let iveyWSOP = try await F.wsopPlayer(pool, key: "P-40", name: "Phil Ivey")
        let ivey = try await F.gfxPlayer(pool, name: "phil   ivey")

        let report = try await store.autoLink()
        #expect(report.linked == 2)
        #expect(report.ambiguous.contains { $0.hasPrefix("JOSE  ALVAREZ: P-10, P-11") }, "\(report.ambiguous)")
        #expect(report.ambiguous.contains { $0.hasPrefix("P-20:") && $0.contains("Zoë Ray") && $0.contains("Zoe Ray") }, "\(report.ambiguous)")
        #expect(try await store.player("gfx:\(kim)").wsopPlayerID == kimWSOP)
        #expect(try await store.player("gfx:\(ivey)").ref == "wsop:\(iveyWSOP)")
        #expect(try await store.player("gfx:\(jose)").wsopPlayerID == nil, "never guessed")

        // A manual link wins; unlinking blocks the pair for the linker.
        let linked = try await store.link(wsop: "P-10", gfx: "gfx:\(jose)", actor: "director", reason: "same person")
        #expect(linked.linkMethod == "manual" && linked.gfxPlayerID == jose)
        await #expect(throws: HubError.self, "a second manual link of the same GFX player") {
            try await store.link(wsop: "P-11", gfx: "gfx:\(jose)", actor: "director", reason: nil)
        }
        _ = try await store.unlink("P-30", actor: "director", reason: "two different people")
        #expect(try await store.autoLink().linked == 0, "the blocked pair stays apart")
        #expect(try await store.player("gfx:\(kim)").wsopPlayerID == nil)
        #expect(try await F.count(pool, "player_link_blocks") == 1)
        #expect(try await pool.query("SELECT count(*) FROM activity_log WHERE action IN ('player_link', 'player_unlink')")[0].decode(Int.self, at: 0) == 2)
        await pool.close()
    }

    @Test func badInputIsRefusedAndNothingIsWritten() async throws {
        let pool = try await SyncFixtures.migratedPool()
        let store = PlayerStore(pool: pool)
        let id = try await F.wsopPlayer(pool, key: "P-1", name: "Phil Ivey")
        let player = try await store.player("P-1")
        #expect(player.wsopPlayerID == id)

        let unknownPlayer = await #expect(throws: HubError.self) { try await store.player("Nobody Atall") }
        #expect(unknownPlayer?.code == .notFound)
        let unknownRef = await #expect(throws: HubError.self) { try await store.player("wsop:999") }
        #expect(unknownRef?.code == .notFound)
        let unknownField = await #expect(throws: HubError.self) {
            try await store.override(player, field: "nickname", value: "The Tiger", actor: "test", reason: nil)
        }
        #expect(unknownField?.code == .usage && unknownField?.message.contains("name_korean") == true, "lists the fields")
        await #expect(throws: HubError.self, "chip counts come from the sources only") {
            try await store.override(player, field: "chip_count", value: "1", actor: "test", reason: nil)
        }
        await #expect(throws: HubError.self) { try await store.override(player, field: "country_code", value: "korea", actor: "test", reason: nil) }
        #expect(try await F.count(pool, "player_overrides") == 0)

        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-photo-\(UUID()).png")
        try Data("hello, I am text".utf8).write(to: text)
        let notImage = await #expect(throws: HubError.self) { try await store.registerImage(player, file: text.path, actor: "test", reason: nil) }
        #expect(notImage?.message.contains("not a PNG or JPEG") == true)
        #expect(try await F.count(pool, "profile_images") == 0)
        let info = try await store.registerImage(player, file: try F.pngFile(width: 300, height: 400), actor: "test", reason: nil)
        #expect(info == ImageProbe.Info(format: .png, width: 300, height: 400))
        await pool.close()
    }

    @Test func aJPEGIsReadByItsFrameHeader() throws {
        // SOI, an APP0 segment, then SOF0 with height 720 and width 1280.
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46,
                              0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0xD0, 0x05, 0x00, 0x03, 0, 0, 0, 0, 0, 0]
        #expect(try ImageProbe.inspect(Data(bytes)) == ImageProbe.Info(format: .jpeg, width: 1280, height: 720))
        #expect(throws: HubError.self) { try ImageProbe.inspect(Data([0xFF, 0xD8, 0xFF, 0xD9])) }
    }
}
