import Achievements
import Auth
import Core
import Database
import Runtime

/// `GET /api/v1/users/{id}`: anyone may read an active user's public profile; email, phone
/// and account state are never part of it. Suspended and deleted users are not found.
public enum GetProfile {
    public static let endpoint = Endpoint(.get, "/api/v1/users/{id}", access: .anyone, mode: .fastcgi, handle)

    /// A badge the user earned (badges are public).
    public struct EarnedBadge: Encodable, Sendable {
        public var id: String
        public var title: String
        public var description: String
        public var awardedAt: String
    }

    public struct PublicProfile: Encodable, Sendable {
        public var id: String
        public var name: String
        public var role: String
        public var headline: String?
        public var bio: String?
        public var avatarUrl: String?
        public var links: JSONValue
        public var memberSince: String
        public var badges: [EarnedBadge]

        enum CodingKeys: String, CodingKey { case id, name, role, headline, bio, avatarUrl, links, memberSince, badges }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(role, forKey: .role)
            try c.encode(headline, forKey: .headline)
            try c.encode(bio, forKey: .bio)
            try c.encode(avatarUrl, forKey: .avatarUrl)
            try c.encode(links, forKey: .links)
            try c.encode(memberSince, forKey: .memberSince)
            try c.encode(badges, forKey: .badges)
        }
    }

    public static func handle(_ context: Context) throws -> Response {
        let id = try context.request.parameter("id")
        guard isUUID(id) else { throw APIError.notFound("User") }
        let row = try context.db().query(
            """
            SELECT id, name, role, headline, bio, avatar_url, links::text AS links, created_at
            FROM users WHERE id = \(id) AND status = 'active'
            """
        ).first
        guard let row else { throw APIError.notFound("User") }
        let badges = try context.db().query(
            "SELECT badge, awarded_at FROM user_badges WHERE user_id = \(id) ORDER BY awarded_at, badge"
        ).rows.compactMap { badgeRow -> EarnedBadge? in
            guard let badge = Badges.named(try badgeRow.string("badge")) else { return nil }
            return EarnedBadge(
                id: badge.id, title: badge.title, description: badge.description, awardedAt: try badgeRow.timestamp("awarded_at"))
        }
        return .ok(
            PublicProfile(
                id: try row.string("id"), name: try row.string("name"), role: try row.string("role"),
                headline: try row.optionalString("headline"), bio: try row.optionalString("bio"),
                avatarUrl: try row.optionalString("avatar_url"),
                links: (try? JSONValue.parse(Array(try row.string("links").utf8))) ?? .object([:]),
                memberSince: try row.timestamp("created_at"), badges: badges))
    }
}
