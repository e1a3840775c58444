import Auth
import Crypto
import Runtime

/// `GET /api/v1/users/me`: the caller's own account.
public enum GetMe {
    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.require(.signedIn)
        return .ok(try PrivateProfile(caller.row))
    }
}
