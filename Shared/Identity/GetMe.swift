import Auth
import Core
import Crypto
import Runtime

/// `GET /api/v1/users/me`: the caller's own account.
public enum GetMe {
    public static let endpoint = Endpoint(.get, "/api/v1/users/me", access: .signedIn, mode: .fastcgi, processes: 2, handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        // The session check read only the columns every request needs; the profile is read here.
        guard let row = try Users.load(context.db(), id: caller.id) else { throw APIError.unauthorized }
        return .ok(try PrivateProfile(row))
    }
}
