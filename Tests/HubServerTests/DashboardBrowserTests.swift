import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Testing

/// The dashboard page in a real browser: Debian's headless Chromium, driven over the DevTools
/// protocol, against a live server with sample data. It signs in with Basic Auth the way a person
/// does (credentials in the URL answer the 401 challenge); from then on the page's scripts use
/// its session token, for fetch and for the WebSocket.
@Suite(.serialized) struct DashboardBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func dashboardShowsTheTablesResolvesAlertsAndFollowsTheLiveFeedWithoutAReload() async throws {
        let chromium = try #require(Self.chromium, "Chromium is not installed: run scripts/install-deps")
        let harness = try await ServerHarness.make()
        let store = harness.server.queue.store
        try await harness.submit("leaderboard", priority: 2)
        try await harness.submit("leaderboard")
        try await harness.submit("player_info")
        let chip = try await harness.submit("chip_count", composition: "Lower Third")
        let claim = try #require(try await store.claim(chip.id, worker: "render-01-1", lease: .seconds(30)))
        try await store.complete(claim, output: .init(path: "/srv/out/chip_count.mp4", fileSize: 1_000_000))
        let rendering = try await harness.submit("leaderboard", priority: 1)
        _ = try #require(try await store.claim(rendering.id, worker: "render-01-2", lease: .seconds(300)))
        let broken = try await harness.server.queue.submit(RenderSubmission(templateName: "player_info", maxRetries: 0), actor: "test").instruction
        let brokenClaim = try #require(try await store.claim(broken.id, worker: "render-01-1", lease: .seconds(30)))
        _ = try await store.fail(brokenClaim, error: "aerender Error: layer 'Photo 1' not found")
        try await ServiceRegistry(pool: harness.clients.database).heartbeat(id: "render-01", kind: "hub-worker", mode: "redis")
        // Sync: gfx synced with 3 of 4 runs completed today, wsop's standings failed.
        let database = harness.clients.database
        try await database.query("""
            UPDATE sync_status SET status = 'synced', last_sync_at = now() - interval '5 minutes', next_sync_at = now() + interval '55 minutes'
            """)
        try await database.query("""
            UPDATE sync_status SET status = 'failed', last_error = 'Standings.csv: row 7: no rank column', next_sync_at = now() + interval '1 minute'
            WHERE source = 'wsop' AND entity = 'standings'
            """)
        for status in ["completed", "completed", "completed", "failed"] {
            try await database.query("""
                INSERT INTO sync_history (correlation_id, source, status, finished_at) VALUES (\(UUID()), 'gfx', \(status), now())
                """)
        }
        // Alerts: two open events.
        let events = MonitorEventStore(pool: database)
        let silent = try await events.raise(rule: "service_silent", subject: "hub-worker:render-02", level: .error,
                                            message: "render-02 sent no heartbeat for 45 s", at: Date() - 60).event
        let delay = try await events.raise(rule: "delay", level: .warning, message: "3 instructions pending for 31 min", at: Date() - 120).event

        try await harness.run { client in
            let port = try #require(client.port)
            let browser = try await Browser.launch(chromium)
            defer { browser.close() }
            try await browser.withPage { page in
                try await page.navigate("http://\(ServerHarness.username):\(ServerHarness.password)@127.0.0.1:\(port)/")
                do {
                    try await waitUntil("the dashboard shows the render queue and is live", timeout: 30) {
                        let queue = try await page.text("#render-queue tbody")
                        let live = try await page.text("#live")
                        return queue.contains("leaderboard") && queue.contains("player_info") && live == "live"
                    }
                } catch {
                    let state = try await page.evaluate("location.href + ' | ' + document.body.innerText.slice(0, 1500)")
                    Issue.record("the page shows: \(state)")
                    throw error
                }
                let queue = try await page.text("#render-queue tbody")
                #expect(queue.contains("chip_count\tLower Third\t0\t0\t1\t0"))
                #expect(queue.contains("leaderboard\tMain\t2\t1\t0\t0"))
                #expect(queue.contains("player_info\tMain\t1\t0\t0\t1"))
                let rows = try await page.evaluate("document.querySelectorAll('#render-queue tbody tr').length")
                #expect(rows == "3")
                #expect(try await page.text("#workers tbody").contains("render-01"))
                #expect(try await page.text("#job-queue tbody").contains("render:manual"))
                #expect(try await page.text("#jobs tbody").contains("layer 'Photo 1' not found"))
                let sync = try await page.text("#sync tbody")
                #expect(sync.contains("gfx\tsynced\t"), "\(sync)")
                #expect(sync.contains("75.0 % of 4 runs"), "\(sync)")
                #expect(sync.contains("wsop\tfailed\t"), "\(sync)")
                #expect(sync.contains("standings: Standings.csv: row 7: no rank column"), "\(sync)")
                #expect(try await page.evaluate("document.querySelectorAll('#sync tbody tr').length") == "2")
                let alerts = try await page.text("#alerts tbody")
                #expect(alerts.contains("error\tservice_silent\thub-worker:render-02\trender-02 sent no heartbeat for 45 s"), "\(alerts)")
                #expect(alerts.contains("warning\tdelay\t–\t3 instructions pending for 31 min"), "\(alerts)")
                #expect(try await page.evaluate("document.querySelectorAll('#alerts tbody button[data-alert]').length") == "2")

                // The Resolve button resolves the event as the signed-in operator and the row goes.
                _ = try await page.evaluate("document.querySelector('#alerts button[data-alert=\"\(silent.id)\"]').click()")
                try await waitUntil("the resolved alert leaves the page", timeout: 30) {
                    try await !page.text("#alerts tbody").contains("render-02")
                }
                let resolvedBy = try await database.query("SELECT resolved_by FROM monitor_events WHERE id = \(silent.id)")[0]
                    .decode(String?.self, at: 0)
                #expect(resolvedBy == "session:user:\(ServerHarness.username)")
                #expect(try await page.text("#alerts tbody").contains("3 instructions pending"))
                #expect(try await page.text("#error") == "")

                // Resolved elsewhere (hubctl, another dashboard): the live feed announces it and the row goes.
                #expect(try await client.send(.post, "/api/events/\(delay.id)/resolve", json: #"{"reason":"workers back"}"#).status == .ok)
                try await waitUntil("the alert resolved through the API leaves the page", timeout: 30) {
                    try await page.text("#alerts tbody").contains("no open alerts")
                }
                #expect(try await page.text("#events").contains(#""resolved":true"#))

                // A new alert and a finished sync arrive while the page is open.
                let spike = try await events.raise(rule: "error_spike", level: .error, message: "4 of 12 finished in the last hour failed",
                                                   at: Date()).event
                await harness.server.queue.events.publish("alert", data: ["event_id": .integer(spike.id), "rule": .string("error_spike")],
                                                          channels: [Notifier.channel])
                try await database.query("""
                    UPDATE sync_status SET status = 'synced', last_error = NULL, last_sync_at = now(), next_sync_at = now() + interval '15 minutes'
                    WHERE source = 'wsop' AND entity = 'standings'
                    """)
                await harness.server.queue.events.publish("sync_completed", data: ["source": .string("wsop")], channels: ["sync-status"])
                try await waitUntil("the new alert and the wsop sync are on the page", timeout: 30) {
                    let alerts = try await page.text("#alerts tbody")
                    let sync = try await page.text("#sync tbody")
                    return alerts.contains("4 of 12 finished in the last hour failed") && sync.contains("wsop\tsynced\t")
                }
                #expect(try await !page.text("#sync tbody").contains("Standings.csv"))

                // A job submitted through the API while the page is open appears without a reload.
                _ = try await page.evaluate("window.__sameDocument = 'yes'")
                let template = "late_breaking_\(UUID().uuidString.prefix(6).lowercased())"
                var headers = ServerHarness.authorized
                headers[.contentType] = "application/json"
                let created = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers,
                                                       body: ByteBuffer(string: #"{"template":"\#(template)","priority":1}"#))
                #expect(created.status == .created)
                try await waitUntil("the new job is on the page", timeout: 30) {
                    let jobs = try await page.text("#jobs tbody")
                    let queue = try await page.text("#render-queue tbody")
                    return jobs.contains(template) && queue.contains(template)
                }
                #expect(try await page.evaluate("window.__sameDocument") == "yes", "the page was not reloaded")
                #expect(try await page.text("#events").contains("instruction_updated"))

                let png = try await page.screenshot()
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                if ProcessInfo.processInfo.environment["HUB_UPDATE_SCREENSHOT"] == "1" {
                    try png.write(to: TestServices.repositoryRoot.appendingPathComponent("Docs/dashboard.png"))
                }
            }
        }
    }
}

/// A headless Chromium with its DevTools endpoint.
final class Browser: Sendable {
    let process: Process
    let profile: URL
    let endpoint: String

    private init(process: Process, profile: URL, endpoint: String) {
        self.process = process
        self.profile = profile
        self.endpoint = endpoint
    }

    static func launch(_ executable: String) async throws -> Browser {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chromium-\(UUID())")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=\(profile.path)", "--window-size=1440,1280",
                             "--hide-scrollbars", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        try await waitUntil("Chromium opened its DevTools port", timeout: 60) {
            ((try? String(contentsOf: portFile, encoding: .utf8)) ?? "").split(separator: "\n").count >= 2
        }
        let lines = try String(contentsOf: portFile, encoding: .utf8).split(separator: "\n")
        return Browser(process: process, profile: profile, endpoint: "ws://127.0.0.1:\(lines[0])\(lines[1])")
    }

    /// Attaches to the browser's first page and runs `body` with it.
    func withPage(_ body: @escaping @Sendable (Page) async throws -> Void) async throws {
        let failure = LockedBox<(any Error)?>(nil)
        try await WebSocketClient.connect(url: endpoint, configuration: .init(maxFrameSize: 1 << 26),
                                          logger: Logger(label: "test.cdp")) { inbound, outbound, _ in
            let session = DevToolsSession(inbound: inbound, outbound: outbound)
            do {
                let targets = try await session.call("Target.getTargets")
                let infos = (targets["targetInfos"] as? [[String: Any]]) ?? []
                guard let target = infos.first(where: { $0["type"] as? String == "page" })?["targetId"] as? String else {
                    throw HarnessError("Chromium has no page target")
                }
                let attached = try await session.call("Target.attachToTarget", ["targetId": target, "flatten": true])
                guard let sessionID = attached["sessionId"] as? String else { throw HarnessError("no DevTools session") }
                let page = Page(session: session, sessionID: sessionID)
                _ = try await session.call("Page.enable", sessionID: sessionID)
                try await body(page)
            } catch {
                failure.withLock { $0 = error }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    func close() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
    }
}

/// One DevTools connection: commands with ids, replies matched by id, events skipped.
/// `@unchecked Sendable`: one task uses it at a time (the test's steps run in order).
final class DevToolsSession: @unchecked Sendable {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    private var nextID = 0

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        self.iterator = inbound.messages(maxSize: 1 << 26).makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends `method` with `params` (JSON text) and returns the reply's `result` as JSON data.
    func send(_ method: String, _ params: String = "{}", sessionID: String? = nil) async throws -> Data {
        nextID += 1
        let id = nextID
        let session = sessionID.map { #","sessionId":"\#($0)""# } ?? ""
        try await outbound.write(.text(#"{"id":\#(id),"method":"\#(method)","params":\#(params)\#(session)}"#))
        while let message = try await iterator.next() {
            guard case .text(let text) = message,
                  let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  reply["id"] as? Int == id else { continue }
            if let error = reply["error"] as? [String: Any] {
                throw HarnessError("DevTools \(method) failed: \(error["message"] ?? error)")
            }
            return try JSONSerialization.data(withJSONObject: reply["result"] as? [String: Any] ?? [:])
        }
        throw HarnessError("DevTools connection closed during \(method)")
    }

    /// ``send(_:_:sessionID:)`` with the result as a dictionary.
    func call(_ method: String, _ params: [String: any Sendable] = [:], sessionID: String? = nil) async throws -> [String: Any] {
        let text = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        let data = try await send(method, text, sessionID: sessionID)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

/// The attached page.
struct Page: Sendable {
    let session: DevToolsSession
    let sessionID: String

    func navigate(_ url: String) async throws {
        _ = try await session.call("Page.navigate", ["url": url], sessionID: sessionID)
    }

    /// Evaluates `expression` and returns its value as text ("" for undefined).
    func evaluate(_ expression: String) async throws -> String {
        let result = try await session.call("Runtime.evaluate", ["expression": expression, "returnByValue": true], sessionID: sessionID)
        let value = (result["result"] as? [String: Any])?["value"]
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        case nil: return ""
        default: return String(describing: value!)
        }
    }

    /// The `innerText` of the first element matching `selector` ("" when there is none).
    func text(_ selector: String) async throws -> String {
        let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [selector]), as: UTF8.self)
        return try await evaluate("(() => { const e = document.querySelector(\(quoted)[0]); return e ? e.innerText : ''; })()")
    }

    func screenshot() async throws -> Data {
        let result = try await session.call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], sessionID: sessionID)
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw HarnessError("Chromium returned no screenshot")
        }
        return data
    }
}
