import Auth
import Core
import Crypto
import Database
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// The signed-in user's own view of their account.
public struct PrivateProfile: Encodable, Sendable {
    public var id: String
    public var email: String
    public var name: String
    public var role: String
    public var status: String
    public var emailVerified: Bool
    public var headline: String?
    public var bio: String?
    public var phone: String?
    public var avatarUrl: String?
    public var links: JSONValue
    /// Hidden from leaderboards.
    public var leaderboardOptOut: Bool
    /// IANA time zone for learning streaks.
    public var timeZone: String
    public var createdAt: String
    public var updatedAt: String

    /// From a row with the columns of `Caller.columns`.
    public init(_ row: Row) throws {
        id = try row.string("id")
        email = try row.string("email")
        name = try row.string("name")
        role = try row.string("role")
        status = try row.string("status")
        emailVerified = try row.optionalString("email_verified_at") != nil
        headline = try row.optionalString("headline")
        bio = try row.optionalString("bio")
        phone = try row.optionalString("phone")
        avatarUrl = try row.optionalString("avatar_url")
        links = (try? JSONValue.parse(Array(try row.string("links").utf8))) ?? .object([:])
        leaderboardOptOut = try row.bool("leaderboard_opt_out")
        timeZone = try row.string("time_zone")
        createdAt = try row.timestamp("created_at")
        updatedAt = try row.timestamp("updated_at")
    }

    enum CodingKeys: String, CodingKey {
        case id, email, name, role, status, emailVerified, headline, bio, phone, avatarUrl, links, leaderboardOptOut, timeZone,
            createdAt, updatedAt
    }

    /// Optional fields are always present, as null when unset.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(status, forKey: .status)
        try c.encode(emailVerified, forKey: .emailVerified)
        try c.encode(headline, forKey: .headline)
        try c.encode(bio, forKey: .bio)
        try c.encode(phone, forKey: .phone)
        try c.encode(avatarUrl, forKey: .avatarUrl)
        try c.encode(links, forKey: .links)
        try c.encode(leaderboardOptOut, forKey: .leaderboardOptOut)
        try c.encode(timeZone, forKey: .timeZone)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What sign-up, sign-in and refresh return: the user and a fresh session.
public struct SignedIn: Encodable, Sendable {
    public var user: PrivateProfile
    public var accessToken: String
    public var refreshToken: String
    public var tokenType: String
    public var expiresIn: Int

    init(user: PrivateProfile, session: Tokens.Session) {
        self.user = user
        accessToken = session.accessToken
        refreshToken = session.refreshToken
        tokenType = session.tokenType
        expiresIn = session.expiresIn
    }

    /// The 200/201 response with the session also set as httpOnly cookies, and the access
    /// token also as the envelope's top-level `token`.
    func response(_ config: Config, status: Int, message: String) -> Response {
        var response = Response.envelope(status: status, message: message, data: self, token: accessToken)
        Tokens.setCookies(
            Tokens.Session(accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn), on: &response, config: config)
        return response
    }
}

enum Users {
    static func load(_ db: Connection, id: String) throws -> Row? {
        try db.query("SELECT \(fragment: Caller.columns) FROM users WHERE id = \(id)").first
    }
}
