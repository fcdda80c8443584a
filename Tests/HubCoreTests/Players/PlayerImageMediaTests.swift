import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// A registered profile photo is what renderers will open (issue 13 item 6): one outside the
/// media roots is refused when registered, not at render time.
@Suite struct PlayerImageMediaTests {
    typealias F = PlayerFixtures

    @Test func aPhotoOutsideTheMediaRootsIsRefusedWhenRegistered() async throws {
        let pool = try await SyncFixtures.migratedPool()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hub-photos-\(UUID())").path
        try FileManager.default.createDirectory(atPath: base + "/media/profile", withIntermediateDirectories: true)
        let store = PlayerStore(pool: pool, media: MediaPolicy(templateDirectory: base + "/templates", roots: [base + "/media"]))
        let id = try await F.wsopPlayer(pool, key: "P-77", name: "Photo Owner")
        let player = try await store.player("wsop:\(id)")

        let outside = try F.pngFile() // in the temporary directory, outside the roots
        let error = await #expect(throws: HubError.self) { try await store.registerImage(player, file: outside, actor: "test", reason: nil) }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("HUB_MEDIA_ROOTS") == true, "\(error?.message ?? "")")
        #expect(try await F.count(pool, "profile_images") == 0)

        let inside = base + "/media/profile/p77.png"
        try FileManager.default.copyItem(atPath: outside, toPath: inside)
        _ = try await store.registerImage(player, file: inside, actor: "test", reason: nil)
        #expect(try await F.count(pool, "profile_images") == 1)
        await pool.close()
    }
}
