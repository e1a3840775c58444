import Core
import Database
import Mail
import Runtime
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Shared/Mail: rendering, addresses, transports (files, SMTP against
/// infra/testing/smtp_capture.py), templates. `swift test --filter MailTests` runs them all.
@Suite enum MailTests {}

/// A message with every field a test may change.
func mailMessage(
    to: [MailAddress] = [MailAddress("ada@example.com", name: "Ada Lovelace")], subject: String = "Hello",
    text: String = "Hello Ada.\n", html: String? = nil, attachments: [MailAttachment] = [],
    messageId: String = "<job-42.verification@lms.local>", extraHeaders: [(name: String, value: String)] = []
) -> MailMessage {
    MailMessage(
        from: MailAddress("no-reply@lms.example", name: "LMS"), to: to, subject: subject, text: text, html: html,
        attachments: attachments, messageId: messageId, extraHeaders: extraHeaders)
}

/// The lines of a rendered message (split at CRLF only).
func lines(_ bytes: [UInt8]) -> [Substring] {
    String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
}

extension MailTests {
    @Suite struct MIMERendering {
        let date = 1_704_164_645  // Tue, 02 Jan 2024 03:04:05 UTC

        @Test func writesTheRequiredHeaders() throws {
            let entity = MIMEEntity(try MIME.render(mailMessage(), date: date))
            #expect(entity.header("Date") == "Tue, 02 Jan 2024 03:04:05 +0000")
            #expect(entity.header("From") == "LMS <no-reply@lms.example>")
            #expect(entity.header("To") == "Ada Lovelace <ada@example.com>")
            #expect(entity.header("Subject") == "Hello")
            #expect(entity.header("Message-ID") == "<job-42.verification@lms.local>")
            #expect(entity.header("MIME-Version") == "1.0")
            #expect(entity.header("Reply-To") == nil)
        }

        @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 +0000"), (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000")])
        func formatsDatesAsRFC5322(seconds: Int, expected: String) {
            #expect(MIME.date(seconds) == expected)
        }

        @Test func rendersTextOnlyAsOneQuotedPrintablePart() throws {
            let text =
                "Caf\u{e9} = 5 \u{20ac}.\nA line that is long enough to need a soft line break because it goes on and on and on.\n.starts with a dot\n"
            let entity = MIMEEntity(try MIME.render(mailMessage(text: text), date: date))
            #expect(entity.mediaType == "text/plain")
            #expect(entity.parameter("Content-Type", "charset") == "utf-8")
            #expect(entity.header("Content-Transfer-Encoding") == "quoted-printable")
            #expect(entity.decodedText == text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"))
        }

        @Test func everyLineEndsInCRLFAndStaysShort() throws {
            let message = mailMessage(
                to: (1...5).map { MailAddress("person\($0)@example.com", name: "Person Number \($0)") },
                subject: String(repeating: "word ", count: 40), text: String(repeating: "x", count: 500) + "\r\nend\rof\nlines",
                html: "<p>" + String(repeating: "\u{1F600}", count: 100) + "</p>",
                attachments: [
                    MailAttachment(filename: "a.bin", contentType: "application/octet-stream", bytes: Array(repeating: 7, count: 1000))
                ])
            let bytes = try MIME.render(message, date: date)
            for (index, byte) in bytes.enumerated() {
                if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13, "bare LF at \(index)") }
                if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10, "bare CR at \(index)") }
            }
            #expect(bytes.suffix(2) == [13, 10])
            #expect(bytes.allSatisfy { $0 < 128 }, "8-bit bytes in a 7-bit message")
            for line in lines(bytes) { #expect(line.utf8.count <= 78, "long line: \(line)") }
        }

        @Test func encodesNonASCIISubjectAndNamesAsEncodedWords() throws {
            let subject = "Vérifiez votre adresse — 确认您的电子邮件地址 \u{1F389} and a long tail of plain words to fold"
            let message = MailMessage(
                from: MailAddress("no-reply@lms.example", name: "Équipe LMS"), to: [MailAddress("zoe@example.com", name: "Zoë Çelik")],
                replyTo: MailAddress("help@lms.example", name: "Support, \"Team\""), subject: subject, text: "Hi",
                messageId: "<m-1@lms.local>")
            let bytes = try MIME.render(message, date: date)
            let entity = MIMEEntity(bytes)
            #expect(entity.header("Subject")?.hasPrefix("=?UTF-8?B?") == true)
            #expect(decodeEncodedWords(entity.header("Subject") ?? "") == subject)
            #expect(decodeEncodedWords(entity.header("From") ?? "") == "Équipe LMS <no-reply@lms.example>")
            #expect(decodeEncodedWords(entity.header("To") ?? "") == "Zoë Çelik <zoe@example.com>")
            #expect(entity.header("Reply-To") == #""Support, \"Team\"" <help@lms.example>"#)
            for line in lines(bytes) where line.hasPrefix("Subject:") || line.hasPrefix(" =?") {
                for word in line.split(separator: " ") where word.hasPrefix("=?") { #expect(word.utf8.count <= 75) }
            }
        }

        @Test func textAndHTMLMakeAMultipartAlternative() throws {
            let entity = MIMEEntity(try MIME.render(mailMessage(html: "<p>Hello <b>Ada</b> \u{2764}</p>"), date: date))
            #expect(entity.mediaType == "multipart/alternative")
            let parts = entity.parts
            try #require(parts.count == 2)
            #expect(parts[0].mediaType == "text/plain")
            #expect(parts[0].decodedText == "Hello Ada.\r\n")
            #expect(parts[1].mediaType == "text/html")
            #expect(parts[1].decodedText == "<p>Hello <b>Ada</b> \u{2764}</p>")
        }

        @Test func attachmentsWrapTheBodyInAMultipartMixedAndRoundTrip() throws {
            let pdf = (0..<3000).map { UInt8(($0 * 131 + 7) % 256) }
            let attachments = [
                MailAttachment(filename: "certificate.pdf", contentType: "application/pdf", bytes: pdf),
                MailAttachment(filename: "résumé 2024.txt", contentType: "text/plain; charset=utf-8", bytes: Array("hi".utf8)),
                MailAttachment(filename: "empty.bin", contentType: "application/octet-stream", bytes: []),
            ]
            let entity = MIMEEntity(try MIME.render(mailMessage(html: "<p>Hi</p>", attachments: attachments), date: date))
            #expect(entity.mediaType == "multipart/mixed")
            let parts = entity.parts
            try #require(parts.count == 4)
            #expect(parts[0].mediaType == "multipart/alternative")
            #expect(parts[0].parts.map(\.mediaType) == ["text/plain", "text/html"])
            #expect(parts[0].parameter("Content-Type", "boundary") != entity.parameter("Content-Type", "boundary"))
            for (part, attachment) in zip(parts.dropFirst(), attachments) {
                #expect(part.header("Content-Transfer-Encoding") == "base64")
                #expect(part.header("Content-Disposition")?.hasPrefix("attachment;") == true)
                #expect(part.decodedBody == attachment.bytes)
                for line in lines(part.body) { #expect(line.utf8.count <= 76) }
            }
            #expect(parts[1].mediaType == "application/pdf")
            #expect(parts[1].parameter("Content-Disposition", "filename") == "certificate.pdf")
            #expect(parts[2].parameter("Content-Disposition", "filename*") == "UTF-8''r%C3%A9sum%C3%A9%202024.txt")
        }

        @Test func boundariesAreRandom() throws {
            let message = mailMessage(html: "<p>Hi</p>")
            let first = MIMEEntity(try MIME.render(message, date: date)).parameter("Content-Type", "boundary")
            let second = MIMEEntity(try MIME.render(message, date: date)).parameter("Content-Type", "boundary")
            #expect(first != nil && first != second)
        }

        @Test func lineBreaksInHeaderValuesCannotAddHeaders() throws {
            let message = MailMessage(
                from: MailAddress("no-reply@lms.example", name: "LMS\r\nBcc: victim@example.com"),
                to: [MailAddress("ada@example.com", name: "Ada\nX-Injected: 1")],
                subject: "Hi\r\nBcc: victim@example.com\r\n\r\nfake body", text: "body",
                attachments: [MailAttachment(filename: "a\r\nX-Evil: 1.txt", contentType: "text/plain", bytes: [1])],
                messageId: "<job-1@lms.local>", extraHeaders: [(name: "X-Job", value: "1\r\nBcc: victim@example.com")])
            let bytes = try MIME.render(message, date: date)
            for line in lines(bytes) {
                #expect(!line.lowercased().hasPrefix("bcc:"))
                #expect(!line.lowercased().hasPrefix("x-injected:"))
                #expect(!line.lowercased().hasPrefix("x-evil:"))
            }
            let entity = MIMEEntity(bytes)
            #expect(entity.header("Subject") == "Hi Bcc: victim@example.com fake body")
            #expect(entity.header("X-Job") == "1 Bcc: victim@example.com")
            #expect(entity.parts.last?.parameter("Content-Disposition", "filename") == "a X-Evil: 1.txt")
        }

        @Test func refusesAContentTypeThatIsNotOne() {
            let attachment = MailAttachment(filename: "a.txt", contentType: "text/plain\r\nX-Evil: 2", bytes: [1])
            #expect(throws: MailError.self) { try MIME.render(mailMessage(attachments: [attachment]), date: date) }
        }

        @Test(arguments: [
            "victim@example.com>\r\nBcc: other@example.com", "<ada@example.com>", "ada@example.com\n", "ada @example.com",
            "ada@example.com, eve@example.com", "no-at-sign", "@example.com", "ada@", "a@b@c", "ada@example.com\u{0}",
        ])
        func refusesAddressesThatCouldBreakOut(address: String) {
            #expect(throws: MailError.invalidAddress) { try MIME.render(mailMessage(to: [MailAddress(address)]), date: date) }
            #expect(throws: MailError.invalidAddress) {
                try MIME.render(
                    MailMessage(from: MailAddress(address), to: [MailAddress("a@b.c")], subject: "", text: "", messageId: "<a@b>"),
                    date: date)
            }
        }

        @Test func acceptsInternationalAddresses() throws {
            let bytes = try MIME.render(mailMessage(to: [MailAddress("jörg@bücher.example")]), date: date)
            #expect(MIMEEntity(bytes).header("To") == "jörg@bücher.example")
        }

        @Test(arguments: ["From", "to", "BCC", "Content-Type", "Message-ID", "X Space", "X-Colon:", "", "X-\u{e9}"])
        func refusesReservedOrMalformedExtraHeaderNames(name: String) {
            #expect(throws: MailError.self) { try MIME.render(mailMessage(extraHeaders: [(name: name, value: "1")]), date: date) }
        }

        @Test func refusesAMessageWithoutRecipients() {
            #expect(throws: MailError.self) { try MIME.render(mailMessage(to: []), date: date) }
        }

        @Test func normalizesMessageIds() throws {
            #expect(try MIME.messageId("job-1@lms.local") == "<job-1@lms.local>")
            #expect(try MIME.messageId(" <job-1@lms.local> ") == "<job-1@lms.local>")
            for bad in ["", "<>", "no-at", "<a b@c>", "<a@b>\r\nBcc: x@y", "<<a@b>>"] {
                #expect(throws: MailError.self) { try MIME.messageId(bad) }
            }
        }

        @Test func quotedPrintableRoundTripsAwkwardText() throws {
            let texts = [
                "", "trailing space \nand tab\t\n", "= equals =3D", String(repeating: "\u{e9}", count: 200), "..\n.\n. dot",
                String(repeating: "a", count: 75) + " " + String(repeating: "b", count: 80), "\u{1F600}\u{1F600}\r\n\r\nx",
            ]
            for text in texts {
                let entity = MIMEEntity(try MIME.render(mailMessage(text: text), date: date))
                var expected = text.replacingAll("\r\n", with: "\n").replacingAll("\n", with: "\r\n")
                if !text.isEmpty && !text.hasSuffix("\n") { expected += "\r\n" }  // the message ends with CRLF
                #expect(entity.decodedText == expected || entity.decodedText == expected.dropLast(2) + "", "\(text)")
                for line in lines(entity.body) {
                    #expect(line.utf8.count <= 76)
                    #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
                    #expect(!line.hasPrefix("."))
                }
            }
        }
    }
}

extension MailTests {
    @Suite struct Addresses {
        @Test func parsesNamesAndBareAddresses() throws {
            #expect(try MailAddress.parse("LMS <no-reply@localhost>") == MailAddress("no-reply@localhost", name: "LMS"))
            #expect(try MailAddress.parse(#""Lovelace, Ada" <ada@example.com>"#) == MailAddress("ada@example.com", name: "Lovelace, Ada"))
            #expect(try MailAddress.parse(" ada@example.com ") == MailAddress("ada@example.com"))
            #expect(try MailAddress.parse("<ada@example.com>") == MailAddress("ada@example.com"))
            #expect(throws: MailError.invalidAddress) { try MailAddress.parse("Ada <not an address>") }
        }

        @Test func senderComesFromMailFromWithADefault() throws {
            #expect(try Mail.sender(config: Config([:])) == MailAddress("no-reply@localhost", name: "LMS"))
            #expect(
                try Mail.sender(config: Config(["MAIL_FROM": "Courses <courses@lms.example>"]))
                    == MailAddress("courses@lms.example", name: "Courses"))
            #expect(throws: ConfigError.self) { try Mail.sender(config: Config(["MAIL_FROM": "broken <"])) }
        }
    }
}

extension MailTests {
    @Suite struct Files {
        @Test func writesOneFilePerMessageIdEvenWhenRetried() throws {
            let folder = try makeTemporaryDirectory("lms-mail-test") + "/nested/mail"
            defer { removeTemporaryDirectory(String(folder.dropLast("/nested/mail".count))) }
            let transport = FileTransport(folder: folder)
            try transport.send(mailMessage(subject: "first"))
            try transport.send(mailMessage(subject: "retried"))
            try transport.send(mailMessage(messageId: "<job-43.verification@lms.local>"))
            #expect(try directoryEntries(folder) == ["job-42.verification@lms.local.eml", "job-43.verification@lms.local.eml"])
            let stored = MIMEEntity(try readFileBytes(folder + "/job-42.verification@lms.local.eml"))
            #expect(stored.header("Subject") == "first")
            #expect(stored.header("Message-ID") == "<job-42.verification@lms.local>")
        }

        @Test func fileNamesCannotLeaveTheFolder() throws {
            let name = try FileTransport.fileName(for: "<../../etc/passwd@x>")
            #expect(!name.contains("/") && !name.hasPrefix(".") && name.hasSuffix(".eml"))
            #expect(try FileTransport.fileName(for: "<a/b@x>") != FileTransport.fileName(for: "<a_b@x>"))
            #expect(try FileTransport.fileName(for: "<" + String(repeating: "a", count: 240) + "@x>").utf8.count <= 255)
        }

        @Test func configurationChoosesTheTransport() throws {
            #expect(try Mail.transport(config: Config([:])) is FileTransport)
            #expect((try Mail.transport(config: Config(["LMS_MAIL_DIR": "/tmp/x"])) as? FileTransport)?.folder == "/tmp/x")
            #expect(try Mail.transport(config: Config(["SMTP_URL": "smtp://127.0.0.1:2525"])) is SMTPTransport)
            #expect(throws: ConfigError.self) { try Mail.transport(config: Config(["LMS_ENV": "production"])) }
            #expect(throws: ConfigError.self) { try Mail.transport(config: Config(["SMTP_URL": "http://127.0.0.1"])) }
        }

        func directoryEntries(_ path: String) throws -> [String] {
            guard let directory = opendir(path) else { throw MailError.configuration("no folder \(path)") }
            defer { closedir(directory) }
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { names.append(name) }
            }
            return names.sorted()
        }
    }
}

extension MailTests {
    @Suite struct SMTPSettings {
        @Test func takesCredentialsOutOfTheURL() throws {
            let settings = try SMTPTransport.Settings(url: "smtp://mailer%40lms:p%40ss%3Aw0rd@mail.example.com:587/lms.example.com")
            #expect(settings.url == "smtp://mail.example.com:587/lms.example.com")
            #expect(settings.username == "mailer@lms")
            #expect(settings.password == "p@ss:w0rd")
            var dumped = ""
            dump(settings, to: &dumped)
            for shown in ["\(settings)", String(reflecting: settings), dumped] { #expect(!shown.contains("w0rd"), "\(shown)") }
        }

        @Test func explicitCredentialsWin() throws {
            let config = Config([
                "SMTP_URL": "smtps://a:b@mail.example.com", "SMTP_USERNAME": "user", "SMTP_PASSWORD": "secret", "SMTP_REQUIRE_TLS": "true",
            ])
            let settings = try SMTPTransport.Settings(config: config)
            #expect(settings.url == "smtps://mail.example.com")
            #expect(settings.username == "user" && settings.password == "secret" && settings.requireTLS)
        }

        @Test(arguments: ["http://mail.example.com", "mail.example.com:25", "smtp://", "smtp://user@", "smtp://:25"])
        func refusesOtherURLs(url: String) {
            #expect(throws: ConfigError.self) { try SMTPTransport.Settings(url: url) }
        }
    }
}

extension MailTests {
    /// Delivery through `infra/testing/smtp_capture.py` (Python's aiosmtpd). These tests fail,
    /// never skip, when the server cannot start.
    @Suite struct SMTPDelivery {
        @Test func deliversWithTheEnvelopeAndHeaders() throws {
            let server = try SMTPCapture()
            defer { server.stop() }
            let to = [MailAddress("ada@example.com", name: "Ada"), MailAddress("grace@example.com")]
            let message = mailMessage(to: to, subject: "Welcome \u{1F44B}", text: "Line one\n.line with a dot\n", html: "<p>Hi</p>")
            try SMTPTransport(settings: .init(url: server.url)).send(message)

            let deliveries = try server.deliveries()
            try #require(deliveries.count == 1)
            #expect(deliveries[0].mailFrom == "no-reply@lms.example")
            #expect(deliveries[0].recipients == ["ada@example.com", "grace@example.com"])
            #expect(deliveries[0].authLogin == nil)
            let entity = MIMEEntity(deliveries[0].data)
            #expect(entity.header("Message-ID") == "<job-42.verification@lms.local>")
            #expect(decodeEncodedWords(entity.header("Subject") ?? "") == "Welcome \u{1F44B}")
            #expect(entity.parts.first?.decodedText == "Line one\r\n.line with a dot\r\n")
            // What arrived is what was rendered (apart from the Date line and the boundaries).
            #expect(deliveries[0].data.suffix(2) == [13, 10])
            #expect(lines(deliveries[0].data).count == lines(try MIME.render(message, date: 0)).count)
        }

        @Test(arguments: ["PLAIN", "LOGIN"])
        func authenticatesWith(mechanism: String) throws {
            let server = try SMTPCapture(["--username", "mailer", "--password", "s3cret:pw", "--auth-mechanism", mechanism])
            defer { server.stop() }
            try SMTPTransport(settings: .init(url: server.url, username: "mailer", password: "s3cret:pw")).send(mailMessage())
            let deliveries = try server.deliveries()
            #expect(deliveries.map(\.authMechanism) == [mechanism])
            #expect(deliveries.map(\.authLogin) == ["mailer"])
        }

        @Test func authenticatesWithCredentialsFromTheURL() throws {
            let server = try SMTPCapture(["--username", "mailer@lms", "--password", "p@ss"])
            defer { server.stop() }
            try SMTPTransport(config: Config(["SMTP_URL": "smtp://mailer%40lms:p%40ss@127.0.0.1:\(server.port)"])).send(mailMessage())
            #expect(try server.deliveries().map(\.authLogin) == ["mailer@lms"])
        }

        @Test func aWrongPasswordIsPermanent() throws {
            let server = try SMTPCapture(["--username", "mailer", "--password", "right"])
            defer { server.stop() }
            let error = try #require(throws: MailError.self) {
                try SMTPTransport(settings: .init(url: server.url, username: "mailer", password: "wrong")).send(mailMessage())
            }
            #expect(error.kind == .permanent && error.smtpCode == 535)
            #expect(!error.description.contains("wrong"))
            #expect(try server.deliveries().isEmpty)
        }

        @Test func aDeferral451IsTransientAndTheRetryIsDeliveredOnce() throws {
            let server = try SMTPCapture(["--fail-first", "1"])
            defer { server.stop() }
            let transport = SMTPTransport(settings: try .init(url: server.url))
            let error = try #require(throws: MailError.self) { try transport.send(mailMessage()) }
            #expect(error.isTransient && error.smtpCode == 451)
            #expect(try server.deliveries().isEmpty)
            try transport.send(mailMessage())
            #expect(try server.deliveries().count == 1)
        }

        @Test func aRejectedRecipientIsPermanent() throws {
            let server = try SMTPCapture(["--reject-recipient", "gone@example.com"])
            defer { server.stop() }
            let error = try #require(throws: MailError.self) {
                try SMTPTransport(settings: .init(url: server.url)).send(mailMessage(to: [MailAddress("gone@example.com")]))
            }
            #expect(error.kind == .permanent && error.smtpCode == 550)
        }

        @Test func aRefusedConnectionIsTransient() throws {
            let (fd, port) = try listeningSocket()
            close(fd)  // nothing listens there any more
            let error = try #require(throws: MailError.self) {
                try SMTPTransport(settings: .init(url: "smtp://127.0.0.1:\(port)", connectTimeoutSeconds: 2)).send(mailMessage())
            }
            #expect(error.isTransient && error.code == "connect_failed")
        }

        @Test func aServerThatNeverAnswersTimesOutTransiently() throws {
            // The kernel completes the connection; nobody ever sends the greeting.
            let (fd, port) = try listeningSocket()
            defer { close(fd) }
            let error = try #require(throws: MailError.self) {
                try SMTPTransport(settings: .init(url: "smtp://127.0.0.1:\(port)", timeoutSeconds: 1)).send(mailMessage())
            }
            #expect(error.isTransient && error.code == "timeout")
        }

        @Test func anInvalidMessageIsPermanentBeforeConnecting() throws {
            let error = try #require(throws: MailError.self) {
                try SMTPTransport(settings: .init(url: "smtp://127.0.0.1:1")).send(mailMessage(to: [MailAddress("a@b>")]))
            }
            #expect(error == MailError.invalidAddress)
        }

        /// A TCP socket listening on a free loopback port.
        func listeningSocket() throws -> (Int32, Int) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard fd >= 0, bound, listen(fd, 4) == 0 else { throw MailError.configuration("cannot listen") }
            return (fd, Int(UInt16(bigEndian: address.sin_port)))
        }
    }
}

extension MailTests {
    @Suite struct Templates {
        let templates = EmailTemplates(productName: "Acme <Learn>", appURL: "https://app.example.com/")

        @Test func verificationCodeShowsTheCodeAndExpiry() {
            let content = templates.verificationCode(name: "Ada", code: "123456", expiresInMinutes: 15)
            #expect(content.subject == "123456 is your Acme <Learn> verification code")
            #expect(content.text.contains("123456") && content.text.contains("15 minutes") && content.text.hasPrefix("Hi Ada,"))
            #expect(content.html.contains(">123456<"))
            #expect(content.html.contains("Acme &lt;Learn&gt;") && !content.html.contains("Acme <Learn>"))
        }

        @Test func passwordResetLinksToTheApp() {
            let content = templates.passwordReset(name: nil, token: "abc_DEF-123+/=")
            #expect(content.text.contains("https://app.example.com/reset-password?token=abc_DEF-123%2B%2F%3D"))
            #expect(content.html.contains("href=\"https://app.example.com/reset-password?token=abc_DEF-123%2B%2F%3D\""))
            #expect(content.text.contains("30 minutes") && content.text.hasPrefix("Hi,"))
        }

        @Test func everyInsertedValueIsEscapedInHTML() {
            let evil = "<script>alert('x')</script>\"&"
            let contents = [
                templates.verificationCode(name: evil, code: evil, expiresInMinutes: 1),
                templates.passwordReset(name: evil, token: evil),
                templates.welcome(name: evil),
                templates.courseDecision(name: evil, courseTitle: evil, decision: .approved),
                templates.courseDecision(name: evil, courseTitle: evil, decision: .rejected(reason: evil)),
                templates.invoiceIssued(name: evil, number: evil, amount: evil, issuedOn: evil, orderId: evil),
                templates.creditNoteIssued(name: evil, number: evil, amount: evil, invoiceNumber: evil, orderId: evil),
            ]
            for content in contents {
                #expect(!content.html.contains("<script>"))
                #expect(!content.html.contains("'x'"))
            }
        }

        @Test func invoiceEmailsNameTheDocumentAndLinkTheOrder() {
            let invoice = templates.invoiceIssued(
                name: "Grace", number: "INV-2026-27-000123", amount: "INR 1,349.10", issuedOn: "30 November 2026", orderId: "o-1")
            #expect(invoice.subject == "Your Acme <Learn> invoice INV-2026-27-000123")
            #expect(invoice.text.contains("Your invoice INV-2026-27-000123 of 30 November 2026 for INR 1,349.10 is attached"))
            #expect(invoice.text.contains("https://app.example.com/orders/o-1"))
            let note = templates.creditNoteIssued(
                name: "Grace", number: "CN-2026-27-000004", amount: "INR 1,349.10", invoiceNumber: "INV-2026-27-000123", orderId: "o-1")
            #expect(note.subject == "Your Acme <Learn> credit note CN-2026-27-000004")
            #expect(note.text.contains("Your refund of INR 1,349.10 is confirmed."))
            #expect(note.text.contains("which corrects invoice INV-2026-27-000123"))
        }

        @Test func courseDecisionCarriesTheReason() {
            let rejected = templates.courseDecision(
                name: "Grace", courseTitle: "Swift 101", decision: .rejected(reason: "Add captions.\nFix audio."))
            #expect(rejected.subject == "Your course \"Swift 101\" was not approved")
            #expect(rejected.text.contains("Add captions.\nFix audio."))
            #expect(rejected.html.contains("Add captions.<br>Fix audio."))
            let approved = templates.courseDecision(name: "Grace", courseTitle: "Swift 101", decision: .approved)
            #expect(approved.subject == "Your course \"Swift 101\" was approved")
        }

        @Test func defaultsComeFromTheConfiguration() throws {
            let welcome = EmailTemplates(config: Config([:])).welcome(name: "Ada")
            #expect(welcome.subject == "Welcome to LMS")
            #expect(welcome.text.contains("http://localhost:3000/"))
            let message = MailMessage(
                from: try Mail.sender(config: Config([:])), to: [MailAddress("ada@example.com")], content: welcome,
                messageId: "<w-1@lms.local>")
            #expect(MIMEEntity(try MIME.render(message, date: 0)).parts.count == 2)
        }
    }
}
