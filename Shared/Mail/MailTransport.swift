/// Delivers one message, or throws a `MailError` that says whether to retry. Sending the same
/// message (same `messageId`) again after a failure is how a job retries.
public protocol MailTransport: Sendable {
    func send(_ message: MailMessage) throws
}
