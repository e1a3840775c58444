/// One email, as a job hands it to a `MailTransport`. Header values may hold any text: the
/// renderer encodes non-ASCII and strips line breaks, so no value can add a header.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    /// The plain-text body; every message has one.
    public var text: String
    /// An HTML alternative to `text`.
    public var html: String?
    public var attachments: [MailAttachment]
    /// A stable id chosen by the caller (e.g. `<job-42.verification@lms.local>`), the same on
    /// every attempt of one job, so receivers and `FileTransport` recognize a retry.
    public var messageId: String
    /// More headers (`List-Unsubscribe`, `Auto-Submitted`, ...). Names must be plain header
    /// names and may not replace a header the renderer writes.
    public var extraHeaders: [(name: String, value: String)]

    public init(
        from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, text: String,
        html: String? = nil, attachments: [MailAttachment] = [], messageId: String,
        extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.messageId = messageId
        self.extraHeaders = extraHeaders
    }

    /// A message with the subject and bodies of a rendered template.
    public init(
        from: MailAddress, to: [MailAddress], content: EmailTemplates.Content, messageId: String,
        replyTo: MailAddress? = nil
    ) {
        self.init(
            from: from, to: to, replyTo: replyTo, subject: content.subject, text: content.text, html: content.html, messageId: messageId)
    }
}

/// A file sent with a message (always base64 on the wire).
public struct MailAttachment: Sendable, Equatable {
    public var filename: String
    /// A MIME type such as `application/pdf`.
    public var contentType: String
    public var bytes: [UInt8]

    public init(filename: String, contentType: String, bytes: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
    }
}
