import Auth
import Core
import Runtime

extension Tokens {
    /// Puts the session in httpOnly cookies as well as the body (browsers use the cookies,
    /// mobile apps the body).
    public static func setCookies(_ session: Session, on response: inout Response, config: Config) {
        let secure = config.bool("COOKIE_SECURE", default: true)
        response.setCookie(accessCookie, session.accessToken, path: "/api", maxAge: session.expiresIn, sameSite: "Lax", secure: secure)
        response.setCookie(
            refreshCookie, session.refreshToken, path: refreshCookiePath, maxAge: refreshTTL(config), sameSite: "Strict", secure: secure)
    }

    public static func clearCookies(on response: inout Response, config: Config) {
        let secure = config.bool("COOKIE_SECURE", default: true)
        response.clearCookie(accessCookie, path: "/api", secure: secure)
        response.clearCookie(refreshCookie, path: refreshCookiePath, secure: secure)
    }
}
