import Accounts
import Core
import Database
import Mail
import MediaFiles
import Notifications
import Queue
import Worker

/// The email worker's job: `email.<template>` with a `Notifications.Email` payload is rendered
/// from its template and sent. A message key already in `sent_emails` is not sent again, and
/// every message of a key has the same `Message-ID`, so a retried job never delivers twice
/// (a crash between the server's answer and the record can resend the identical message,
/// which mail clients fold by its Message-ID).
public enum EmailDelivery {
    public static func handle(
        _ job: Queue.Job, _ context: JobContext, transport: any MailTransport, templates: EmailTemplates, sender: MailAddress,
        files: MediaFiles? = nil
    ) throws {
        var email = try decodePayload(Notifications.Email.self, job)
        if try context.db.query("SELECT 1 FROM sent_emails WHERE message_key = \(email.messageKey)").first != nil {
            context.log.info("email already sent; skipped", [("kind", .string(job.kind))])
            return
        }
        if email.template == "password_reset" && email.data["token"] == nil {
            // Requests are enqueued for every address; only an active account gets a link.
            guard let prepared = try PasswordResetTokens.prepare(context.db, email) else { return }
            email = prepared
        }
        let content = try render(email, templates)
        let messageId = messageIdentifier(email.messageKey, sender: sender)
        var message = MailMessage(from: sender, to: [MailAddress(email.to, name: email.name)], content: content, messageId: messageId)
        if let key = email.data["attachment_key"] {
            // A stored file (a certificate or invoice PDF) read from the media store at send time.
            guard let files else {
                throw DeliveryError(description: "\(email.template) has an attachment but no media store is configured")
            }
            message.attachments = [
                MailAttachment(
                    filename: email.data["attachment_name"] ?? "attachment.pdf", contentType: "application/pdf",
                    bytes: try files.get(key: key))
            ]
        }
        do {
            try transport.send(message)
        } catch let error as MailError where !error.isTransient {
            throw PermanentJobError(error.description)
        }
        try context.db.execute(
            """
            INSERT INTO sent_emails (message_key, message_id, kind, recipient, job_id)
            VALUES (\(email.messageKey), \(messageId), \(email.template), \(email.to), \(Int(job.id)))
            ON CONFLICT (message_key) DO NOTHING
            """)
    }

    static func render(_ email: Notifications.Email, _ templates: EmailTemplates) throws -> EmailTemplates.Content {
        func required(_ key: String) throws -> String {
            guard let value = email.data[key], !value.isEmpty else { throw PermanentJobError("\(email.template) needs \(key)") }
            return value
        }
        let minutes = Int(email.data["expires_minutes"] ?? "")
        switch email.template {
        case "verification":
            return templates.verificationCode(name: email.name, code: try required("code"), expiresInMinutes: minutes ?? 10)
        case "password_reset":
            return templates.passwordReset(name: email.name, token: try required("token"), expiresInMinutes: minutes ?? 30)
        case "welcome":
            return templates.welcome(name: email.name)
        case "course_decision":
            let decision: EmailTemplates.CourseDecision =
                try required("decision") == "approved" ? .approved : .rejected(reason: email.data["reason"] ?? "")
            return templates.courseDecision(name: email.name, courseTitle: try required("course_title"), decision: decision)
        case "course_completed":
            return templates.courseCompleted(
                name: email.name, courseTitle: try required("course_title"), courseId: try required("course_id"))
        case "assignment_graded":
            return templates.assignmentGraded(
                name: email.name, courseTitle: try required("course_title"), assignmentTitle: try required("assignment_title"),
                points: try required("points"), maxPoints: try required("max_points"), feedback: email.data["feedback"] ?? "")
        case "certificate_issued":
            return templates.certificateIssued(
                name: email.name, courseTitle: try required("course_title"), code: try required("code"),
                verificationURL: try required("verification_url"))
        case "badge_awarded":
            return templates.badgeAwarded(
                name: email.name, badgeTitle: try required("badge_title"), badgeDescription: try required("badge_description"))
        case "leaderboard_winner":
            return templates.leaderboardWinner(
                name: email.name, rank: Int(try required("rank")) ?? 1, periodLabel: try required("period_label"),
                points: Int(try required("points")) ?? 0)
        case "payment_receipt":
            let amount = Money.format(minor: Int(try required("amount_minor")) ?? 0, currency: try required("currency"))
            return templates.paymentReceipt(
                name: email.name, orderId: try required("order_id"), amount: amount,
                items: try required("items").split(separator: "\n").map(String.init), paymentId: try required("payment_id"),
                invoiceNumber: email.data["invoice_number"].flatMap { $0.isEmpty ? nil : $0 })
        case "refund_processed":
            let amount = Money.format(minor: Int(try required("amount_minor")) ?? 0, currency: try required("currency"))
            return templates.refundProcessed(
                name: email.name, orderId: try required("order_id"), amount: amount,
                items: try required("items").split(separator: "\n").map(String.init),
                creditNote: email.data["credit_note_number"].flatMap { $0.isEmpty ? nil : $0 })
        case "refund_rejected":
            return templates.refundRejected(name: email.name, orderId: try required("order_id"), note: email.data["note"] ?? "")
        case "invoice_issued", "credit_note_issued":
            let amount = Money.format(minor: Int(try required("total_minor")) ?? 0, currency: try required("currency"))
            if email.template == "invoice_issued" {
                return templates.invoiceIssued(
                    name: email.name, number: try required("number"), amount: amount, issuedOn: try required("issued_on"),
                    orderId: try required("order_id"))
            }
            return templates.creditNoteIssued(
                name: email.name, number: try required("number"), amount: amount, invoiceNumber: try required("invoice_number"),
                orderId: try required("order_id"))
        case "payment_alert":
            return templates.paymentAlert(name: email.name, orderId: try required("order_id"), detail: try required("detail"))
        default:
            throw PermanentJobError("no email template \(email.template)")
        }
    }

    /// `<verification-1b2c...@example.com>`: the key in the sender's domain.
    static func messageIdentifier(_ key: String, sender: MailAddress) -> String {
        var local = ""
        for scalar in key.unicodeScalars {
            let allowed =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "." || scalar == "-"
            local.unicodeScalars.append(allowed ? scalar : "-")
        }
        let domain = sender.email.split(separator: "@").last.map(String.init) ?? "localhost"
        return "<\(local)@\(domain)>"
    }
}
