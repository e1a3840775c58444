import Core

/// `SMTP_URL` taken apart: the URL libcurl gets (no credentials, so it can be logged) and
/// the percent-decoded user and password from its userinfo.
struct SMTPURL {
    var url: String
    var username: String?
    var password: String?

    init?(_ text: String) {
        guard let schemeEnd = text.firstRange(of: "://") else { return nil }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                username = percentDecode(userinfo[..<colon], plusIsSpace: false)
                password = percentDecode(userinfo[userinfo.index(after: colon)...], plusIsSpace: false)
            } else {
                username = percentDecode(userinfo, plusIsSpace: false)
            }
            if username?.isEmpty == true { username = nil }
        }
        guard !authority.isEmpty, !authority.hasPrefix(":"),
            authority.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        url = "\(scheme)://\(authority)\(rest[authorityEnd...])"
    }
}
