import Core
import FoundationEssentials
import HTTPClient

/// Firebase Cloud Messaging, HTTP v1 API: an OAuth access token from the service account, then
/// one `messages:send` request per device token.
public final class FCMTransport: PushTransport {
    /// The OAuth scope FCM requires.
    public static let scope = "https://www.googleapis.com/auth/firebase.messaging"
    public static let defaultBaseURL = "https://fcm.googleapis.com"
    static let timeoutSeconds = 10

    public let account: ServiceAccount
    let sendURL: String
    let http: CurlClient
    let accessToken: GoogleAccessToken

    /// - Parameter baseURL: FCM's address; tests point it at a local fake.
    public init(account: ServiceAccount, baseURL: String = FCMTransport.defaultBaseURL) throws(PushError) {
        do { http = try CurlClient() } catch { throw PushError(error.description) }
        self.account = account
        accessToken = try GoogleAccessToken(account: account, scope: Self.scope, http: http)
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        sendURL = "\(base)/v1/projects/\(percentEncode(account.projectID))/messages:send"
    }

    /// The key file from `FCM_SERVICE_ACCOUNT_FILE`, the API address from `FCM_BASE_URL`
    /// (default `https://fcm.googleapis.com`).
    public convenience init(config: Config) throws {
        let account = try ServiceAccount.load(path: try config.require("FCM_SERVICE_ACCOUNT_FILE"))
        try self.init(account: account, baseURL: config["FCM_BASE_URL"] ?? Self.defaultBaseURL)
    }

    public func send(_ message: PushMessage, to token: String) throws -> PushResult {
        let body = try JSONEncoder().encode(SendRequest(message: message, token: token))
        do {
            var response = try post(Array(body), bearer: try accessToken.current())
            if response.status == 401 {
                // FCM stopped honouring the cached token before its time: fetch a new one, once.
                accessToken.invalidate()
                response = try post(Array(body), bearer: try accessToken.current())
                if response.status == 401 {
                    accessToken.invalidate()
                    throw PushError("FCM refused a freshly issued access token: \(FCMFailure(response).summary)")
                }
            }
            return FCMFailure.result(of: response)
        } catch let failure as TransientFailure {
            return .transient(failure.message)
        }
    }

    private func post(_ body: [UInt8], bearer: String) throws -> HTTPResponse {
        do throws(HTTPError) {
            return try http.request(
                method: "POST", url: sendURL,
                headers: ["Authorization": "Bearer \(bearer)", "Content-Type": "application/json; charset=UTF-8"],
                body: body, timeoutSeconds: Self.timeoutSeconds)
        } catch {
            guard error.kind != .invalidRequest else { throw PushError("FCM_BASE_URL: \(error.message)") }
            throw TransientFailure("FCM request failed: \(error)")
        }
    }

    /// `{"message": {"token", "notification": {"title", "body"}, "data"}}`.
    struct SendRequest: Encodable {
        struct Notification: Encodable {
            var title: String
            var body: String
        }
        struct Message: Encodable {
            var token: String
            var notification: Notification
            var data: [String: String]?
        }
        var message: Message

        init(message: PushMessage, token: String) {
            self.message = Message(
                token: token, notification: Notification(title: message.title, body: message.body),
                data: message.data.isEmpty ? nil : message.data)
        }
    }
}
