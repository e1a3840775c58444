import Core
import Database
import FoundationEssentials
import Notifications
import Push
import Queue
import Worker

/// The push worker's job: `push.send` with a `Notifications.Push` payload goes to every device
/// of the user. Each delivery is recorded per message key and device, so a retry (after some
/// devices failed transiently) sends only to the devices still missing it; tokens the service
/// reports gone are deleted.
public enum PushDelivery {
    public static func handle(_ job: Queue.Job, _ context: JobContext, transport: any PushTransport) throws {
        let push = try decodePayload(Notifications.Push.self, job)
        let devices = try context.db.query(
            """
            SELECT d.id, d.token FROM devices d
            WHERE d.user_id = \(push.userId)
              AND NOT EXISTS (SELECT 1 FROM push_deliveries p WHERE p.message_key = \(push.messageKey) AND p.device_id = d.id)
            ORDER BY d.id
            """
        ).rows
        var transient: [String] = []
        for device in devices {
            let id = try device.string("id")
            let result = try transport.send(
                PushMessage(title: push.title, body: push.body, data: push.data), to: try device.string("token"))
            switch result {
            case .delivered:
                try context.db.execute(
                    "INSERT INTO push_deliveries (message_key, device_id) VALUES (\(push.messageKey), \(id)) ON CONFLICT DO NOTHING")
            case .tokenGone:
                try context.db.execute("DELETE FROM devices WHERE id = \(id)")
                context.log.info("push token gone; device removed", [("device_id", .string(id))])
            case .transient(let reason):
                transient.append(reason)
            case .permanent(let reason):
                context.log.warning("push refused for a device", [("device_id", .string(id)), ("reason", .string(reason))])
            }
        }
        if !transient.isEmpty {
            throw DeliveryError(description: "\(transient.count) of \(devices.count) devices failed: \(transient[0])")
        }
    }
}

/// A transient delivery failure: the job is retried.
public struct DeliveryError: Error, CustomStringConvertible {
    public var description: String
}

/// Decodes a job payload written by `Notifications` (snake_case keys); a payload that does not
/// decode can never succeed, so it is a permanent failure.
func decodePayload<T: Decodable>(_ type: T.Type, _ job: Queue.Job) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
        return try decoder.decode(T.self, from: Data(try encodeJSON(job.payload)))
    } catch {
        throw PermanentJobError("payload of \(job.kind) does not decode: \(error)")
    }
}
