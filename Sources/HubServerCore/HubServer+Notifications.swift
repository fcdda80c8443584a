import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// Notifications (schema doc §6, §8.2) over ``Notifier``: `GET /api/v1/notifications[?unread=&limit=]`
    /// (newest first) and `POST|PATCH /api/v1/notifications/{id}/read`, which marks one read and
    /// publishes `notification_read` on the `notifications` channel, where `notification_new` goes.
    func addNotificationRoutes(to router: Router<HubRequestContext>) {
        let notifier = Notifier(pool: clients.database, events: queue.events, webhook: settings.webhook)
        router.get("/api/v1/notifications") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 50, in: 1...1000)
            let unread = try Self.booleanQuery(request, "unread", default: false)
            return try Self.json(["notifications": try await notifier.list(limit: limit, unread: unread)])
        }
        let markRead: @Sendable (Request, HubRequestContext) async throws -> Response = { request, context in
            _ = try await Self.decodeBody(ReasonRequest.self, request, context, allowEmpty: true, example: "{}")
            return try Self.json(["notification": try await notifier.markRead(try Self.idParameter(context), actor: Self.actor(context))])
        }
        router.post("/api/v1/notifications/{id}/read", use: markRead)
        router.patch("/api/v1/notifications/{id}/read", use: markRead)
    }
}
