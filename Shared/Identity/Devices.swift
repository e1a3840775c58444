import Auth
import Core
import Database
import Runtime

/// A push device of the signed-in user.
public struct DeviceView: Encodable, Sendable {
    public var id: String
    public var platform: String
    public var name: String?
    public var createdAt: String
    public var lastSeenAt: String

    init(_ row: Row) throws {
        id = try row.string("id")
        platform = try row.string("platform")
        name = try row.optionalString("name")
        createdAt = try row.timestamp("created_at")
        lastSeenAt = try row.timestamp("last_seen_at")
    }

    enum CodingKeys: String, CodingKey { case id, platform, name, createdAt, lastSeenAt }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(platform, forKey: .platform)
        try c.encode(name, forKey: .name)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(lastSeenAt, forKey: .lastSeenAt)
    }
}

/// `POST /api/v1/users/me/devices`: registers an FCM registration token for push.
///
/// A token names one app install, which is signed in as one user at a time, and the server
/// cannot tell whether a caller really holds the install behind a token. So a token belongs to
/// the user who holds it until they give it up: the same user registering it again (the app
/// does at every start) refreshes it; another user gets 409 `device_token_taken` while the
/// holder's registration is live. The holder gives it up by removing the device (the app
/// does on sign-out, so the next user of a shared phone can register it), by deleting their
/// account, or by not re-registering it for `staleDays` (FCM's own measure of a stale token),
/// after which the next user to register it takes it. Anyone who merely learned a token thus
/// cannot silently take over, or stop, another user's pushes.
public enum RegisterDevice {
    public static let endpoint = Endpoint(.post, "/api/v1/users/me/devices", access: .signedIn, body: 8 * KiB, handle)

    /// Days without a re-registration after which a holder's token may go to another user.
    static let staleDays = 30
    static let taken = APIError.conflict(
        "This device is registered to another account. Sign out there (which removes the device) first.",
        code: "device_token_taken")

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let token = fields.string("token", max: 4096)
        let platform = fields.oneOf("platform", ["android", "ios", "web"])
        let name = fields.optionalString("name", max: 100)
        try fields.finish()
        guard let token, let platform else { throw APIError.invalid([]) }
        // One statement: a concurrent registration of the token waits on its row, then sees the
        // new holder. No row back means another user holds it.
        guard
            let row = try context.db().query(
                """
                INSERT INTO devices (user_id, token, platform, name) VALUES (\(caller.id), \(token), \(platform), \(name))
                ON CONFLICT (token) DO UPDATE SET user_id = excluded.user_id, platform = excluded.platform,
                    name = CASE WHEN devices.user_id = excluded.user_id THEN coalesce(excluded.name, devices.name) ELSE excluded.name END,
                    created_at = CASE WHEN devices.user_id = excluded.user_id THEN devices.created_at ELSE now() END,
                    last_seen_at = now()
                WHERE devices.user_id = excluded.user_id OR devices.last_seen_at < now() - make_interval(days => \(staleDays))
                RETURNING id, platform, name, created_at, last_seen_at
                """
            ).first
        else { throw taken }
        return .created(try DeviceView(row), message: "Device registered.")
    }
}

/// `GET /api/v1/users/me/devices`: the caller's registered devices (tokens are not shown).
public enum ListDevices {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me/devices", access: .signedIn, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let rows = try context.db().query(
            "SELECT id, platform, name, created_at, last_seen_at FROM devices WHERE user_id = \(caller.id) ORDER BY created_at, id"
        ).rows
        return .ok(try rows.map(DeviceView.init))
    }
}

/// `DELETE /api/v1/users/me/devices/{id}`: stops pushes to one of the caller's devices.
/// Another user's device is not found.
public enum DeleteDevice {
    public static let endpoint = Endpoint(.delete, "/api/v1/users/me/devices/{id}", access: .signedIn, body: 1 * KiB, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let id = try context.request.parameter("id")
        guard isUUID(id), try context.db().execute("DELETE FROM devices WHERE id = \(id) AND user_id = \(caller.id)") == 1 else {
            throw APIError.notFound("Device")
        }
        return .message("Device removed.")
    }
}
