import Auth
import Certificates
import Core
import Database
import FoundationEssentials
import Runtime

/// `PATCH /api/v1/users/me`: name, headline, bio, phone, avatar URL, links, leaderboard opt-out
/// and time zone. Absent fields stay; null (or "") clears an optional one. A new name re-issues
/// the user's certificates (same codes, new files).
public enum UpdateMe {
    public static let endpoint = Endpoint(.patch, "/api/v1/users/me", access: .signedIn, body: 16 * KiB, handle)

    static let linkKinds = ["website", "linkedin", "twitter", "youtube", "github", "facebook", "instagram"]

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        var fields = try Fields(context.request.json())
        let name = fields.patchString("name", min: 1, max: 100, nullable: false)
        let headline = fields.patchString("headline", max: 120)
        fields.checkDisplayText("name", name)
        fields.checkDisplayText("headline", headline)
        let bio = fields.patchString("bio", max: 2000, multiline: true)
        let phone = fields.patchString("phone", max: 20)
        if let value = phone.value, !isPhone(value) { fields.fail("phone", "must be a phone number such as +91 98765 43210") }
        let avatar = fields.patchString("avatar_url", max: 2048)
        if let value = avatar.value, !isWebURL(value) { fields.fail("avatar_url", "must be an http(s) URL") }
        let links = linksField(&fields)
        var optOut: Bool?
        if let value = fields.object["leaderboard_opt_out"] {
            if case .bool(let flag) = value { optOut = flag } else { fields.fail("leaderboard_opt_out", "must be true or false") }
        }
        let timeZone = fields.patchString("time_zone", min: 1, max: 64, nullable: false)
        try fields.finish()
        if let zone = timeZone.value, try context.db().query("SELECT 1 FROM pg_timezone_names WHERE name = \(zone)").first == nil {
            throw APIError.invalid(field: "time_zone", "must be an IANA time zone such as Europe/Paris")
        }

        return try context.transaction { db in
            let before = try db.query("SELECT name FROM users WHERE id = \(caller.id) FOR UPDATE").first
            let row = try db.query(
                """
                UPDATE users SET
                    name = CASE WHEN \(name.isPresent) THEN \(name.value) ELSE name END,
                    headline = CASE WHEN \(headline.isPresent) THEN \(headline.value) ELSE headline END,
                    bio = CASE WHEN \(bio.isPresent) THEN \(bio.value) ELSE bio END,
                    phone = CASE WHEN \(phone.isPresent) THEN \(phone.value) ELSE phone END,
                    avatar_url = CASE WHEN \(avatar.isPresent) THEN \(avatar.value) ELSE avatar_url END,
                    links = CASE WHEN \(links != nil) THEN \(links ?? "{}")::jsonb ELSE links END,
                    leaderboard_opt_out = coalesce(\(optOut), leaderboard_opt_out),
                    time_zone = coalesce(\(timeZone.value), time_zone),
                    updated_at = now()
                WHERE id = \(caller.id)
                RETURNING \(fragment: Caller.columns)
                """
            ).first
            guard let row, let before else { throw APIError.notFound("User") }
            if try row.string("name") != before.string("name") {
                try CertificateReissue.requestForUser(db, userId: caller.id)
            }
            return .ok(try PrivateProfile(row), message: "Profile updated.")
        }
    }

    /// `links`: an object of known kinds to http(s) URLs; replaces the stored links.
    static func linksField(_ fields: inout Fields) -> String? {
        guard let value = fields.object["links"] else { return nil }
        if value == .null { return "{}" }
        guard case .object(let object) = value else {
            fields.fail("links", "must be an object such as {\"website\": \"https://...\"}")
            return nil
        }
        var clean: [String: JSONValue] = [:]
        for (kind, link) in object {
            guard linkKinds.contains(kind) else {
                fields.fail("links", "\(kind) is not one of: " + linkKinds.joined(separator: ", "))
                return nil
            }
            if link == .null || link == .string("") { continue }
            guard case .string(let url) = link, url.utf8.count <= 2048, isWebURL(url) else {
                fields.fail("links", "\(kind) must be an http(s) URL")
                return nil
            }
            clean[kind] = .string(url)
        }
        guard let data = try? encodeJSON(JSONValue.object(clean)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Digits with optional leading +, spaces, dashes, dots and parentheses; 6 to 15 digits (E.164).
func isPhone(_ text: String) -> Bool {
    var digits = 0
    for (index, scalar) in text.unicodeScalars.enumerated() {
        switch scalar {
        case "0"..."9": digits += 1
        case "+" where index == 0: continue
        case " ", "-", "(", ")", ".": continue
        default: return false
        }
    }
    return (6...15).contains(digits)
}
