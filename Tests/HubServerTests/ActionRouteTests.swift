import Foundation
import HubCore
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/actions/…`: the operator actions of SPEC §7.3 over HTTP, against real PostgreSQL
/// and Redis.
@Suite struct ActionRouteTests {
    /// Submits an instruction with no retries, claims it and fails it with `error`.
    static func failed(_ harness: ServerHarness, _ template: String, error: String) async throws -> Int64 {
        let store = harness.server.queue.store
        let submitted = try await harness.server.queue.submit(RenderSubmission(templateName: template, maxRetries: 0), actor: "test").instruction
        let claim = try #require(try await store.claim(submitted.id, worker: "render-09-1", lease: .seconds(30)))
        let failed = try await store.fail(claim, error: error)
        #expect(failed.status == .failed)
        return submitted.id
    }

    /// Submits an instruction, claims it and completes it.
    static func completed(_ harness: ServerHarness, _ template: String) async throws -> Int64 {
        let store = harness.server.queue.store
        let submitted = try await harness.submit(template)
        let claim = try #require(try await store.claim(submitted.id, worker: "render-09-2", lease: .seconds(30)))
        try await store.complete(claim, output: .init(path: "/tmp/\(template).png", fileSize: 1))
        return submitted.id
    }

    @Test func retryPutsAFailedJobBackToPendingAndRefusesWrongStates() async throws {
        let harness = try await ServerHarness.make()
        let failedID = try await Self.failed(harness, "leaderboard", error: "aerender Error: missing layer")
        let completedID = try await Self.completed(harness, "chip_count")
        try await harness.run { client in
            let response = try await client.send(.post, "/api/actions/retry", json: #"{"id":\#(failedID),"reason":"layer restored"}"#)
            #expect(response.status == .ok)
            let instruction = try #require(try response.json()["instruction"] as? [String: Any])
            #expect(instruction["status"] as? String == "pending")
            #expect(instruction["error_message"] == nil || instruction["error_message"] is NSNull)
            #expect(try await harness.server.queue.store.instruction(failedID).status == .pending)
            let status = try await client.send(.get, "/api/v1/render/\(failedID)/status").json()
            let last = try #require((status["timeline"] as? [[String: Any]])?.last)
            #expect(last["event"] as? String == "operator_retry")
            #expect(last["actor"] as? String == "user:operator")
            #expect(last["reason"] as? String == "layer restored")

            // Pending and due now: nothing to retry.
            let again = try await client.send(.post, "/api/actions/retry", json: #"{"id":\#(failedID)}"#)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "CONFLICT")

            let completed = try await client.send(.post, "/api/actions/retry", json: #"{"id":\#(completedID)}"#)
            #expect(completed.status == .conflict)
            #expect(completed.errorCode == "CONFLICT")
            let message = try #require((try completed.json()["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("completed"))
            #expect(try await harness.server.queue.store.instruction(completedID).status == .completed)

            let unknown = try await client.send(.post, "/api/actions/retry", json: #"{"id":987654}"#)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "NOT_FOUND")
        }
    }

    @Test(arguments: [
        ("/api/actions/retry", ""),
        ("/api/actions/retry", "{not json"),
        ("/api/actions/retry", #"{"reason":"no id"}"#),
        ("/api/actions/retry", #"{"id":"seven"}"#),
        ("/api/actions/retry", #"{"id":0}"#),
        ("/api/actions/cancel", #"{}"#),
        ("/api/actions/change-priority", #"{"id":1}"#),
        ("/api/actions/change-priority", #"{"id":1,"priority":11}"#),
        ("/api/actions/change-priority", #"{"id":1,"priority":0}"#),
        ("/api/actions/bulk-retry", #"{"status":"completed"}"#),
        ("/api/actions/bulk-retry", #"{"status":["failed","processing"]}"#),
        ("/api/actions/bulk-retry", #"{"since":"soon"}"#),
        ("/api/actions/bulk-retry", #"{"since":-5}"#),
        ("/api/actions/bulk-retry", #"{"limit":0}"#),
        ("/api/actions/bulk-retry", #"{"dry_run":"yes"}"#),
    ])
    func malformedBodiesAre400(uri: String, body: String) async throws {
        let harness = try await ServerHarness.make()
        let pending = try await harness.submit("leaderboard")
        try await harness.run(waitForLiveFeed: false) { client in
            let response = try await client.send(.post, uri, json: body.isEmpty ? nil : body)
            #expect(response.status == .badRequest, "\(uri) \(body): \(response.text)")
            #expect(response.errorCode == "VALIDATION_ERROR")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            // A refused request changes nothing.
            #expect(try await harness.server.queue.store.instruction(pending.id).priority == 5)
        }
    }

    @Test func bulkRetryDryRunListsMatchesAndChangesNothing() async throws {
        let harness = try await ServerHarness.make()
        let layer = try await Self.failed(harness, "leaderboard", error: "aerender Error: missing layer 'Name 1'")
        let footage = try await Self.failed(harness, "chip_count", error: "footage not found on the NAS")
        let done = try await Self.completed(harness, "leaderboard")
        try await harness.run { client in
            let byTemplate = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"template":"leaderboard","dry_run":true}"#)
            #expect(byTemplate.status == .ok)
            let body = try byTemplate.json()
            #expect(body["dry_run"] as? Bool == true)
            #expect(body["count"] as? Int == 1)
            #expect((body["matched"] as? [[String: Any]])?.map { $0["id"] as? Int } == [Int(layer)])
            #expect((body["matched"] as? [[String: Any]])?.first?["error_message"] as? String == "aerender Error: missing layer 'Name 1'")
            #expect((body["retried"] as? [Any])?.isEmpty == true)

            let byError = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"error":"NOT FOUND","since":"1h","dry_run":true}"#).json()
            #expect((byError["matched"] as? [[String: Any]])?.map { $0["id"] as? Int } == [Int(footage)])
            let bySeconds = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"since":3600,"dry_run":true}"#).json()
            #expect(bySeconds["count"] as? Int == 2)

            // The dry runs changed nothing.
            let store = harness.server.queue.store
            #expect(try await store.instruction(layer).status == .failed)
            #expect(try await store.instruction(footage).status == .failed)
            #expect(try await store.timeline(layer).contains { $0.event == "bulk_retry" } == false)

            let real = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"status":"failed","reason":"NAS back"}"#)
            #expect(real.status == .ok)
            let retried = try real.json()
            #expect(retried["dry_run"] as? Bool == false)
            #expect(Set((retried["retried"] as? [Int]) ?? []) == [Int(layer), Int(footage)])
            #expect(try await store.instruction(layer).status == .pending)
            #expect(try await store.instruction(footage).status == .pending)
            #expect(try await store.instruction(done).status == .completed)
            let entry = try #require(try await store.timeline(footage).last)
            #expect(entry.event == "bulk_retry" && entry.actor == "user:operator" && entry.reason == "NAS back")

            let nothingLeft = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"dry_run":true}"#).json()
            #expect(nothingLeft["count"] as? Int == 0)
        }
    }

    @Test func changePriorityOfAPendingJob() async throws {
        let harness = try await ServerHarness.make()
        let pending = try await harness.submit("leaderboard", priority: 5)
        let completedID = try await Self.completed(harness, "chip_count")
        try await harness.run(waitForLiveFeed: false) { client in
            let response = try await client.send(.post, "/api/actions/change-priority", json: #"{"id":\#(pending.id),"priority":1,"reason":"on air next"}"#)
            #expect(response.status == .ok)
            #expect((try response.json()["instruction"] as? [String: Any])?["priority"] as? Int == 1)
            #expect(try await harness.server.queue.store.instruction(pending.id).priority == 1)
            let entry = try #require(try await harness.server.queue.store.timeline(pending.id).last)
            #expect(entry.event == "priority_changed" && entry.actor == "user:operator")

            let same = try await client.send(.post, "/api/actions/change-priority", json: #"{"id":\#(pending.id),"priority":1}"#)
            #expect(same.status == .conflict && same.errorCode == "CONFLICT")
            let finished = try await client.send(.post, "/api/actions/change-priority", json: #"{"id":\#(completedID),"priority":2}"#)
            #expect(finished.status == .conflict && finished.errorCode == "CONFLICT")
            let unknown = try await client.send(.post, "/api/actions/change-priority", json: #"{"id":987654,"priority":2}"#)
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
            let outOfRange = try await client.send(.post, "/api/actions/change-priority", json: #"{"id":\#(pending.id),"priority":11}"#)
            #expect(outOfRange.status == .badRequest && outOfRange.errorCode == "VALIDATION_ERROR")
            #expect(try await harness.server.queue.store.instruction(pending.id).priority == 1)
        }
    }

    @Test func cancelPendingAndRunningJobs() async throws {
        let harness = try await ServerHarness.make()
        let pending = try await harness.submit("leaderboard")
        let running = try await harness.submit("chip_count")
        _ = try #require(try await harness.server.queue.store.claim(running.id, worker: "render-09-3", lease: .seconds(30)))
        try await harness.run(waitForLiveFeed: false) { client in
            let response = try await client.send(.post, "/api/actions/cancel", json: #"{"id":\#(pending.id),"reason":"wrong template"}"#)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["previous_status"] as? String == "pending")
            #expect(body["stopping"] as? Bool == false)
            #expect((body["instruction"] as? [String: Any])?["status"] as? String == "cancelled")
            #expect(try await harness.server.queue.store.instruction(pending.id).status == .cancelled)

            let stopping = try await client.send(.post, "/api/actions/cancel", json: #"{"id":\#(running.id)}"#).json()
            #expect(stopping["previous_status"] as? String == "processing")
            #expect(stopping["stopping"] as? Bool == true)
            #expect((stopping["instruction"] as? [String: Any])?["cancel_requested"] as? Bool == true)

            let again = try await client.send(.post, "/api/actions/cancel", json: #"{"id":\#(pending.id)}"#)
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")
            let unknown = try await client.send(.post, "/api/actions/cancel", json: #"{"id":987654}"#)
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
        }
    }
}
