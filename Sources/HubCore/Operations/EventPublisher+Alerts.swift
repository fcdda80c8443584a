import Foundation

extension EventPublisher {
    /// Announces that `event` was resolved (by an operator or by the monitor when its condition
    /// cleared): an `alert` event with `resolved: true` on the `notifications` channel, so open
    /// dashboards drop the row at once instead of at their next timed refresh.
    package func alertResolved(_ event: MonitorEvent) async {
        await publish("alert", data: [
            "event_id": .integer(event.id),
            "rule": .string(event.rule),
            "subject": .string(event.subject),
            "level": .string(event.level.rawValue),
            "message": .string(event.message),
            "resolved": .bool(true),
            "resolved_by": event.resolvedBy.map(JSONValue.string) ?? .null,
        ], channels: [Notifier.channel])
    }
}
