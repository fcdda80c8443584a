import Foundation
import HubCore
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `GET /api/v1/render/{id}/output/file` serves a completed output only from inside the output
/// directory, and only with credentials.
@Suite struct OutputFileRouteTests {
    /// A 1×1 PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")!

    /// Submits, claims and completes an instruction whose recorded output is `path`.
    func completed(_ harness: ServerHarness, path: String) async throws -> Int64 {
        let instruction = try await harness.submit("leaderboard")
        let claim = try #require(try await harness.server.queue.store.claim(instruction.id, worker: "render-01-1", lease: .seconds(30)))
        _ = try await harness.server.queue.store.complete(claim, output: .init(path: path, fileSize: Int64(Self.png.count)))
        return instruction.id
    }

    @Test func servesThePNGInsideTheOutputDirectoryOnlyWithCredentials() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-output-route-\(UUID())")
        let outputs = root.appendingPathComponent("output"), elsewhere = root.appendingPathComponent("elsewhere")
        for directory in [outputs, elsewhere] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: root) }
        let inside = outputs.appendingPathComponent("leaderboard-1-a1.png")
        let outside = elsewhere.appendingPathComponent("secret.png")
        try Self.png.write(to: inside)
        try Self.png.write(to: outside)
        try FileManager.default.createSymbolicLink(at: outputs.appendingPathComponent("link.png"), withDestinationURL: outside)
        try FileManager.default.createDirectory(at: outputs.appendingPathComponent("folder.png"), withIntermediateDirectories: true)

        let harness = try await ServerHarness.make(environment: ["HUB_OUTPUT_DIR": outputs.path])
        let good = try await completed(harness, path: inside.path)
        let refused = [
            try await completed(harness, path: outside.path),                                      // outside
            try await completed(harness, path: outputs.path + "/../elsewhere/secret.png"),         // .. out of it
            try await completed(harness, path: outputs.appendingPathComponent("link.png").path),  // a link out of it
            try await completed(harness, path: outputs.appendingPathComponent("folder.png").path), // not a regular file
            try await completed(harness, path: outputs.appendingPathComponent("gone.png").path),  // deleted
            try await completed(harness, path: "/etc/passwd"),
        ]
        let pending = try await harness.submit("leaderboard").id

        try await harness.run { client in
            let response = try await client.execute(uri: "/api/v1/render/\(good)/output/file", method: .get, headers: ServerHarness.authorized)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/png")
            #expect(Data(response.body.readableBytesView) == Self.png)

            let anonymous = try await client.execute(uri: "/api/v1/render/\(good)/output/file", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.body.readableBytes < 1000 && !Data(anonymous.body.readableBytesView).starts(with: Self.png.prefix(8)))
            let apiKey = try await client.execute(uri: "/api/v1/render/\(good)/output/file", method: .get,
                                                  headers: [HubServer.apiKeyHeader: ServerHarness.apiKeys[1]])
            #expect(apiKey.status == .ok)

            for id in refused + [pending, 999_999] {
                let response = try await client.execute(uri: "/api/v1/render/\(id)/output/file", method: .get, headers: ServerHarness.authorized)
                #expect(response.status == .notFound, "instruction \(id)")
                #expect(response.errorCode == "NOT_FOUND")
                #expect(!response.text.contains("secret"), "the error names no path")
            }
        }
    }

    @Test func dashboardShowsTheLatestPNGOutputsAsThumbnails() async throws {
        let chromium = try #require(DashboardBrowserTests.chromium, "Chromium is not installed: run scripts/install-deps")
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("hub-output-strip-\(UUID())")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outputs) }
        try Self.png.write(to: outputs.appendingPathComponent("still.png"))
        let harness = try await ServerHarness.make(environment: ["HUB_OUTPUT_DIR": outputs.path])
        let still = try await harness.server.queue.submit(
            RenderSubmission(templateName: "graphics", composition: "Payouts", outputSettings: OutputSettings(format: .png)), actor: "test").instruction
        let claim = try #require(try await harness.server.queue.store.claim(still.id, worker: "render-01-1", lease: .seconds(30)))
        _ = try await harness.server.queue.store.complete(claim, output: .init(path: outputs.appendingPathComponent("still.png").path))
        _ = try await completed(harness, path: outputs.appendingPathComponent("clip.mp4").path)  // a clip: not in the strip

        try await harness.run { client in
            let port = try #require(client.port)
            let browser = try await Browser.launch(chromium)
            defer { browser.close() }
            try await browser.withPage { page in
                try await page.navigate("http://\(ServerHarness.username):\(ServerHarness.password)@127.0.0.1:\(port)/")
                do {
                    try await waitUntil("the strip shows the PNG output, loaded through its blob: URL", timeout: 30) {
                        try await page.evaluate("(() => { const i = document.querySelectorAll('#thumbs img'); return String(i.length === 1 && i[0].complete && i[0].naturalWidth > 0) })()") == "true"
                    }
                } catch {
                    let state = try await page.evaluate("document.querySelector('#thumbs').innerHTML + ' | ' + document.querySelector('#error').textContent")
                    Issue.record("the strip shows: \(state)")
                    throw error
                }
                #expect(try await page.text("#thumbs").contains("#\(still.id) Payouts"))
                #expect(try await page.evaluate("String(document.querySelector('#thumbs img').src.startsWith('blob:'))") == "true")
                #expect(try await page.text("#error") == "")
            }
        }
    }
}
