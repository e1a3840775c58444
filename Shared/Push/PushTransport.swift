/// One notification, independent of the service that delivers it.
public struct PushMessage: Sendable, Equatable, Codable {
    public var title: String
    public var body: String
    /// Key-value data the app receives with the notification (FCM allows string values only).
    public var data: [String: String]

    public init(title: String, body: String, data: [String: String] = [:]) {
        self.title = title
        self.body = body
        self.data = data
    }
}

/// What became of one push to one device token; the push worker acts on it.
public enum PushResult: Sendable, Equatable {
    /// The service accepted the message.
    case delivered
    /// The token no longer reaches a device (app uninstalled, token rotated): forget it.
    case tokenGone
    /// Worth retrying later (rate limit, server error, network failure); the reason is for logs.
    case transient(String)
    /// Retrying this message will not help (the service rejected it); the reason is for logs.
    case permanent(String)
}

/// Delivers a message to one device token.
///
/// Transports are not thread-safe (they cache credentials and reuse a connection): use one per
/// thread.
public protocol PushTransport {
    /// Sends `message` to `token` and says how it went.
    ///
    /// - Throws: `PushError` when the transport itself cannot work (unreadable credentials,
    ///   refused service account, unwritable log folder): no retry of this one message fixes
    ///   that, an operator does.
    func send(_ message: PushMessage, to token: String) throws -> PushResult
}

/// A push transport that cannot work as configured.
public struct PushError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
