import Foundation
import HubCore
import HubServerCore
import HubTestSupport
import Hummingbird
import Logging
import Testing

/// Issue 13 item 4 in a real browser: the dashboard page across a hub-server restart (a new
/// server instance, so a new session-token key, on the same port). The page's token is dead after
/// the restart; the page must get a fresh one by itself, reconnect within seconds, and never be
/// answered 429.
@Suite(.serialized) struct DashboardRestartBrowserTests {
    @Test func thePageReconnectsAfterAServerRestartAndNeverSeesA429() async throws {
        let chromium = try #require(DashboardBrowserTests.chromium, "Chromium is not installed: run scripts/install-deps")
        let harness = try await ServerHarness.make()
        try await harness.submit("leaderboard")
        let first = harness.server
        let port = LockedBox(0)
        let firstApp = first.makeApplication { bound in port.withLock { $0 = bound } }
        let firstRun = Task { try await firstApp.runService(gracefulShutdownSignals: []) }
        let secondRun = LockedBox<Task<Void, any Error>?>(nil)
        do {
            try await waitUntil("the first server listens", timeout: 30) { port.withLock { $0 } != 0 }
            try await waitUntil("the first server's live feed subscribed", timeout: 30) { first.events.isSubscribed }
            let bound = port.withLock { $0 }
            let browser = try await Browser.launch(chromium)
            defer { browser.close() }
            try await browser.withPage { page in
                try await page.navigate("http://\(ServerHarness.username):\(ServerHarness.password)@127.0.0.1:\(bound)/")
                try await waitUntil("the page is live", timeout: 30) {
                    let live = try await page.text("#live")
                    let queue = try await page.text("#render-queue tbody")
                    return live == "live" && queue.contains("leaderboard")
                }
                let firstToken = try await page.evaluate("token")
                // Every response the page's scripts get from now on.
                _ = try await page.evaluate("""
                    window.__statuses = []; const plainFetch = window.fetch;
                    window.fetch = (...a) => plainFetch(...a).then((r) => { window.__statuses.push(r.status); return r; }); "ok"
                    """)

                // Restart: the first instance goes, a new one (new token key) takes the same port.
                firstRun.cancel()
                _ = await firstRun.result
                try await waitUntil("the page notices", timeout: 30) { try await page.text("#live") != "live" }
                var settings = first.settings
                settings.port = bound
                let second = HubServer(clients: harness.clients, settings: settings)
                let restarted = ContinuousClock.now
                let secondApp = second.makeApplication()
                secondRun.withLock { $0 = Task { try await secondApp.runService(gracefulShutdownSignals: []) } }
                try await waitUntil("the page is live again", timeout: 30) { try await page.text("#live") == "live" }
                let took = ContinuousClock.now - restarted
                #expect(took < .seconds(12), "reconnected \(took) after the restart")
                #expect(try await page.evaluate("token") != firstToken, "the page took a fresh token")

                // The page works against the new instance: a job submitted there appears.
                try await waitUntil("the new server's live feed subscribed", timeout: 30) { second.events.isSubscribed }
                let template = "after_restart_\(UUID().uuidString.prefix(6).lowercased())"
                _ = try await second.queue.submit(RenderSubmission(templateName: template), actor: "test")
                try await waitUntil("the job submitted after the restart appears", timeout: 30) {
                    try await page.text("#jobs tbody").contains(template)
                }
                let statuses = try await page.evaluate("JSON.stringify(window.__statuses)")
                #expect(!statuses.contains("429"), "the page got \(statuses)")
                #expect(second.throttle.retryAfter("127.0.0.1") == nil, "the stale token did not trip the throttle")
                #expect(try await page.text("#error") == "")
            }
        } catch {
            firstRun.cancel()
            await Self.stop(secondRun.withLock { $0 })
            await harness.clients.shutdown()
            throw error
        }
        await Self.stop(secondRun.withLock { $0 })
        await harness.clients.shutdown()
    }

    static func stop(_ task: Task<Void, any Error>?) async {
        guard let task else { return }
        task.cancel()
        _ = await task.result
    }
}
