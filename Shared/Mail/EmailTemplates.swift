import Core

/// The emails the product sends, each as a subject, a plain-text body and an HTML body.
/// Every value inserted into HTML is escaped; links start at `PUBLIC_APP_URL`.
public struct EmailTemplates: Sendable {
    /// What a template renders to; `MailMessage(from:to:content:messageId:)` sends it.
    public struct Content: Sendable, Equatable {
        public var subject: String
        public var text: String
        public var html: String

        public init(subject: String, text: String, html: String) {
            self.subject = subject
            self.text = text
            self.html = html
        }
    }

    /// An admin's decision on a course submitted for review.
    public enum CourseDecision: Sendable, Equatable {
        case approved
        case rejected(reason: String)
    }

    /// The name in subjects and greetings (`PRODUCT_NAME`, default "LMS").
    public var productName: String
    /// The web app's address, without a trailing slash (`PUBLIC_APP_URL`, default
    /// `http://localhost:3000`).
    public var appURL: String

    public init(productName: String = "LMS", appURL: String = "http://localhost:3000") {
        self.productName = productName
        var url = appURL
        while url.hasSuffix("/") { url.removeLast() }
        self.appURL = url
    }

    public init(config: Config) {
        self.init(productName: config["PRODUCT_NAME"] ?? "LMS", appURL: config["PUBLIC_APP_URL"] ?? "http://localhost:3000")
    }

    /// The 6-digit code that confirms a new account's email address.
    public func verificationCode(name: String?, code: String, expiresInMinutes: Int) -> Content {
        let intro = "Use this code to verify your email address for \(productName):"
        let outro = "The code expires in \(minutes(expiresInMinutes)). If you did not create an account, ignore this email."
        return Content(
            subject: "\(code) is your \(productName) verification code",
            text: "\(greeting(name))\n\n\(intro)\n\n    \(code)\n\n\(outro)\n",
            html: page([
                paragraph(greeting(name)), paragraph(intro),
                "<p style=\"font-size:28px;font-weight:bold;letter-spacing:6px\">\(escape(code))</p>", paragraph(outro),
            ]))
    }

    /// A link to `PUBLIC_APP_URL/reset-password?token=...` (default lifetime 30 minutes).
    public func passwordReset(name: String?, token: String, expiresInMinutes: Int = 30) -> Content {
        let link = passwordResetLink(token: token)
        let intro = "Someone asked to reset the password of your \(productName) account. To choose a new password, open this link:"
        let outro =
            "The link expires in \(minutes(expiresInMinutes)). If you did not ask for this, ignore this email: your password stays as it is."
        return Content(
            subject: "Reset your \(productName) password",
            text: "\(greeting(name))\n\n\(intro)\n\n\(link)\n\n\(outro)\n",
            html: page([paragraph(greeting(name)), paragraph(intro), button("Reset password", link), paragraph(outro)]))
    }

    /// Sent once the email address is verified.
    public func welcome(name: String?) -> Content {
        let intro = "Welcome to \(productName)! Your email address is verified and your account is ready."
        let outro = "Browse the catalog and start learning:"
        return Content(
            subject: "Welcome to \(productName)",
            text: "\(greeting(name))\n\n\(intro)\n\n\(outro)\n\(appURL)/\n",
            html: page([paragraph(greeting(name)), paragraph(intro), paragraph(outro), button("Open \(productName)", appURL + "/")]))
    }

    /// Tells an instructor whether a submitted course was approved, with the reason when not.
    public func courseDecision(name: String?, courseTitle: String, decision: CourseDecision) -> Content {
        var lines: [String]
        let subject: String
        switch decision {
        case .approved:
            subject = "Your course \"\(courseTitle)\" was approved"
            lines = ["Good news: your course \"\(courseTitle)\" was approved and is now published on \(productName)."]
        case .rejected(let reason):
            subject = "Your course \"\(courseTitle)\" was not approved"
            lines = [
                "Your course \"\(courseTitle)\" was reviewed and not approved yet. The reviewer wrote:", reason,
                "Update the course and submit it again when you are ready.",
            ]
        }
        let html = [paragraph(greeting(name))] + lines.map(paragraph) + [button("Open \(productName)", appURL + "/")]
        return Content(
            subject: subject,
            text: ([greeting(name)] + lines).joined(separator: "\n\n") + "\n\n\(appURL)/\n",
            html: page(html))
    }

    /// Congratulates a learner who completed a course (their certificate follows separately).
    public func courseCompleted(name: String?, courseTitle: String, courseId: String) -> Content {
        let link = "\(appURL)/courses/\(percentEncode(courseId))"
        let lines = [
            "Congratulations: you have completed \"\(courseTitle)\" on \(productName)!",
            "Your certificate is on its way. Keep the momentum going:",
        ]
        return Content(
            subject: "You completed \"\(courseTitle)\"",
            text: ([greeting(name)] + lines).joined(separator: "\n\n") + "\n\(link)\n",
            html: page([paragraph(greeting(name))] + lines.map(paragraph) + [button("Open the course", link)]))
    }

    /// Tells a learner their assignment was graded, with the points and the feedback.
    public func assignmentGraded(
        name: String?, courseTitle: String, assignmentTitle: String, points: String, maxPoints: String, feedback: String
    ) -> Content {
        var lines = ["Your work on \"\(assignmentTitle)\" in \"\(courseTitle)\" has been graded: \(points) of \(maxPoints) points."]
        if !feedback.isEmpty { lines += ["Feedback from your instructor:", feedback] }
        return Content(
            subject: "Your assignment \"\(assignmentTitle)\" was graded",
            text: ([greeting(name)] + lines).joined(separator: "\n\n") + "\n\n\(appURL)/\n",
            html: page([paragraph(greeting(name))] + lines.map(paragraph) + [button("Open \(productName)", appURL + "/")]))
    }

    /// A certificate of completion (the PDF is attached by the email worker).
    public func certificateIssued(name: String?, courseTitle: String, code: String, verificationURL: String) -> Content {
        let intro = "Congratulations on completing \"\(courseTitle)\"! Your certificate is attached to this email."
        let verify = "Certificate code \(code). Anyone can check it at:"
        return Content(
            subject: "Your certificate for \"\(courseTitle)\"",
            text: "\(greeting(name))\n\n\(intro)\n\n\(verify)\n\(verificationURL)\n",
            html: page([paragraph(greeting(name)), paragraph(intro), paragraph(verify), button("Verify certificate", verificationURL)]))
    }

    /// A badge earned.
    public func badgeAwarded(name: String?, badgeTitle: String, badgeDescription: String) -> Content {
        let intro = "You earned the \"\(badgeTitle)\" badge on \(productName): \(badgeDescription)"
        return Content(
            subject: "New badge: \(badgeTitle)",
            text: "\(greeting(name))\n\n\(intro)\n\n\(appURL)/\n",
            html: page([paragraph(greeting(name)), paragraph(intro), button("See your badges", appURL + "/")]))
    }

    /// A top place on a closed leaderboard.
    public func leaderboardWinner(name: String?, rank: Int, periodLabel: String, points: Int) -> Content {
        let intro = "You finished #\(rank) on the \(productName) leaderboard for \(periodLabel) with \(points) XP. Well done!"
        return Content(
            subject: "You placed #\(rank) for \(periodLabel)",
            text: "\(greeting(name))\n\n\(intro)\n\n\(appURL)/\n",
            html: page([paragraph(greeting(name)), paragraph(intro), button("Open \(productName)", appURL + "/")]))
    }

    /// The receipt of a paid order (the invoice follows separately once invoices exist).
    public func paymentReceipt(
        name: String?, orderId: String, amount: String, items: [String], paymentId: String, invoiceNumber: String? = nil
    ) -> Content {
        let intro = "Thank you for your purchase on \(productName). We received \(amount) for:"
        let invoice = invoiceNumber.map { " Your invoice \($0) follows in a separate email." } ?? ""
        let reference = "Order \(orderId), payment reference \(paymentId).\(invoice) Your courses are ready:"
        let link = "\(appURL)/orders/\(percentEncode(orderId))"
        return Content(
            subject: "Your \(productName) receipt: \(amount)",
            text: "\(greeting(name))\n\n\(intro)\n\n" + items.map { "- \($0)" }.joined(separator: "\n") + "\n\n\(reference)\n\(link)\n",
            html: page(
                [
                    paragraph(greeting(name)), paragraph(intro), "<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>",
                    paragraph(reference),
                ]
                    + [button("Open your courses", link)]))
    }

    /// A refund the provider confirmed: the courses are no longer in the learner's library.
    public func refundProcessed(name: String?, orderId: String, amount: String, items: [String], creditNote: String?) -> Content {
        let intro = "We refunded \(amount) for order \(orderId):"
        let after =
            "These courses have left your library (your progress is kept if you buy them again)."
            + (creditNote.map { " Credit note \($0) follows in a separate email." } ?? "")
        return Content(
            subject: "Your refund of \(amount)",
            text: "\(greeting(name))\n\n\(intro)\n\n" + items.map { "- \($0)" }.joined(separator: "\n") + "\n\n\(after)\n",
            html: page(
                [
                    paragraph(greeting(name)), paragraph(intro), "<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>",
                    paragraph(after),
                ]))
    }

    /// A refund request an admin turned down, with the reason.
    public func refundRejected(name: String?, orderId: String, note: String) -> Content {
        let intro = "Your refund request for order \(orderId) was not approved."
        let lines = [intro] + (note.isEmpty ? [] : ["The reason given: \(note)"])
        return Content(
            subject: "Your refund request for order \(orderId)",
            text: ([greeting(name)] + lines).joined(separator: "\n\n") + "\n",
            html: page([paragraph(greeting(name))] + lines.map(paragraph)))
    }

    /// An invoice (the PDF is attached by the email worker).
    public func invoiceIssued(name: String?, number: String, amount: String, issuedOn: String, orderId: String) -> Content {
        let lines = [
            "Thank you for your purchase on \(productName).",
            "Your invoice \(number) of \(issuedOn) for \(amount) is attached to this email.",
        ]
        return document(name: name, subject: "Your \(productName) invoice \(number)", lines: lines, orderId: orderId)
    }

    /// A credit note for a refund (the PDF is attached by the email worker).
    public func creditNoteIssued(name: String?, number: String, amount: String, invoiceNumber: String, orderId: String) -> Content {
        let lines = [
            "Your refund of \(amount) is confirmed.",
            "Credit note \(number), which corrects invoice \(invoiceNumber), is attached to this email.",
        ]
        return document(name: name, subject: "Your \(productName) credit note \(number)", lines: lines, orderId: orderId)
    }

    /// An email that carries a billing document, with a link to its order.
    func document(name: String?, subject: String, lines: [String], orderId: String) -> Content {
        let link = "\(appURL)/orders/\(percentEncode(orderId))"
        return Content(
            subject: subject,
            text: ([greeting(name)] + lines).joined(separator: "\n\n") + "\n\nYour order:\n\(link)\n",
            html: page([paragraph(greeting(name))] + lines.map(paragraph) + [button("Open your order", link)]))
    }

    /// For admins: a payment whose amount or currency does not match its order (nobody was enrolled).
    public func paymentAlert(name: String?, orderId: String, detail: String) -> Content {
        let intro =
            "A payment for order \(orderId) does not match the order: \(detail). Nobody was enrolled; check the payment with the provider."
        return Content(
            subject: "Payment alert: order \(orderId)",
            text: "\(greeting(name))\n\n\(intro)\n",
            html: page([paragraph(greeting(name)), paragraph(intro)]))
    }

    /// The reset link with the token percent-encoded.
    public func passwordResetLink(token: String) -> String {
        appURL + "/reset-password?token=" + percentEncode(token)
    }

    func greeting(_ name: String?) -> String {
        guard let name = name?.trimmed(), !name.isEmpty else { return "Hi," }
        return "Hi \(name),"
    }

    func minutes(_ count: Int) -> String { count == 1 ? "1 minute" : "\(count) minutes" }

    func paragraph(_ text: String) -> String {
        "<p>" + escape(text).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "<br>") + "</p>"
    }

    func button(_ label: String, _ url: String) -> String {
        "<p><a href=\"\(escape(url))\" style=\"display:inline-block;padding:10px 18px;background:#2457d6;color:#ffffff;"
            + "text-decoration:none;border-radius:4px\">\(escape(label))</a></p>\n<p style=\"font-size:13px;color:#555555\">"
            + "Or copy this address into your browser: \(escape(url))</p>"
    }

    func page(_ blocks: [String]) -> String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(escape(productName))</title></head>
        <body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a">
        \(blocks.joined(separator: "\n"))
        <p style="font-size:13px;color:#555555">— \(escape(productName))</p>
        </body></html>

        """
    }

    /// `&`, `<`, `>`, `"` and `'` as entities: safe in element content and quoted attributes.
    public static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    func escape(_ text: String) -> String { Self.escapeHTML(text) }

}
