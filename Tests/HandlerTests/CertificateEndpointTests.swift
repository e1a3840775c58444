import Auth
import CertificateCodes
import CertificatePDF
import Certificates
import Core
import Database
import Runtime
import TestSupport
import Testing

/// The certificate endpoints: the owner's list, public verification, download links, the
/// learner's public switch, an admin's revoke and re-issue; each with its refusals.
@Suite struct CertificateEndpointTests {
    /// An issued certificate (rendered by the worker's code) and a few other people.
    func issued() throws -> (fixture: CertificateFixture, code: String, stranger: TestUser, admin: TestUser) {
        let fixture = try CertificateFixture(learnerName: "José Müller")
        guard case .issued(let code) = try fixture.issue() else { throw ProcessFailure("not issued") }
        return (fixture, code, try Factory.user(fixture.db), try Factory.user(fixture.db, role: .admin))
    }

    @Test func theOwnerListsTheirCertificatesAndNobodyElses() throws {
        let (fixture, code, stranger, _) = try issued()
        let mine = try call(ListMyCertificates.endpoint, "GET", "/api/v1/users/me/certificates", token: fixture.learner.accessToken)
        #expect(mine.status == 200)
        guard case .array(let items)? = mine.data["items"] else {
            Issue.record("no items")
            return
        }
        #expect(items.count == 1)
        #expect(items.first?["code"]?.string == code)
        #expect(items.first?["status"]?.string == "ready")
        #expect(items.first?["verification_url"]?.string == "http://localhost:3000/certificates/\(code)")
        let theirs = try call(ListMyCertificates.endpoint, "GET", "/api/v1/users/me/certificates", token: stranger.accessToken)
        #expect(theirs.data["items"] == .array([]))
        #expect(try call(ListMyCertificates.endpoint, "GET", "/api/v1/users/me/certificates").status == 401)
    }

    @Test func verificationIsPublicAndUnknownOrMalformedCodesLookTheSame() throws {
        let (fixture, code, _, _) = try issued()
        let verified = try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/\(code)")
        #expect(verified.status == 200)
        #expect(verified.data["valid"] == .bool(true))
        #expect(verified.data["learner_name"]?.string == "José Müller")
        #expect(verified.data["course_title"]?.string == fixture.title)
        #expect(verified.data["instructor_name"]?.string == "Ada Lovelace")
        #expect(verified.data["completed_at"]?.string == "2026-11-30T12:00:00Z")
        #expect(verified.text.contains(fixture.learner.email) == false)
        // Typed sloppily: still found.
        let typed = try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/\(code.lowercased().replacingDashes())")
        #expect(typed.status == 200)
        let unknown = try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/\(CertificateCode.generate())")
        let malformed = try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/not-a-code")
        #expect(unknown.status == 404)
        #expect(malformed.status == 404)
        #expect(unknown.json["code"] == malformed.json["code"])
        #expect(unknown.json["message"] == malformed.json["message"])
    }

    @Test func downloadLinksGoToTheOwnerAdminsAndAnyoneOnlyWhenPublic() throws {
        let (fixture, code, stranger, admin) = try issued()
        let path = "/api/v1/certificates/\(code)/pdf"
        let owner = try call(CertificateDownload.endpoint, "GET", path, token: fixture.learner.accessToken)
        #expect(owner.status == 200)
        let url = try #require(owner.data["url"]?.string)
        #expect(url.contains("/media/private/certificates/\(code).pdf?md5="))
        #expect(url.contains("expires="))
        #expect(try call(CertificateDownload.endpoint, "GET", path, token: admin.accessToken).status == 200)
        #expect(try call(CertificateDownload.endpoint, "GET", path, token: stranger.accessToken).status == 404)
        #expect(try call(CertificateDownload.endpoint, "GET", path).status == 404)
        // The learner makes it public: anyone may download.
        let patch = "/api/v1/users/me/certificates/\(code)"
        #expect(try call(UpdateCertificate.endpoint, "PATCH", patch, json: #"{"public": true}"#, token: stranger.accessToken).status == 404)
        #expect(
            try call(UpdateCertificate.endpoint, "PATCH", patch, json: #"{"public": "yes"}"#, token: fixture.learner.accessToken).status
                == 422)
        #expect(try call(UpdateCertificate.endpoint, "PATCH", patch, json: #"{"public": true}"#).status == 401)
        let made = try call(UpdateCertificate.endpoint, "PATCH", patch, json: #"{"public": true}"#, token: fixture.learner.accessToken)
        #expect(made.status == 200)
        #expect(made.data["is_public"] == .bool(true))
        #expect(try call(CertificateDownload.endpoint, "GET", path).status == 200)
        #expect(try call(CertificateDownload.endpoint, "GET", path, token: stranger.accessToken).status == 200)
        #expect(try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/\(code)").data["pdf_available"] == .bool(true))
        #expect(try call(CertificateDownload.endpoint, "GET", "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZZ/pdf").status == 404)
    }

    @Test func aCertificateNotRenderedYetIsAConflict() throws {
        let fixture = try CertificateFixture()
        let code = CertificateCode.generate()
        try fixture.db.execute(
            """
            INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, completed_at)
            VALUES (\(code), \(fixture.learner.id), \(fixture.courseId), 'A', 'B', 'C', now())
            """)
        let response = try call(CertificateDownload.endpoint, "GET", "/api/v1/certificates/\(code)/pdf", token: fixture.learner.accessToken)
        #expect(response.status == 409)
        #expect(response.code == "certificate_pending")
    }

    @Test func adminsRevokeWithAReasonAndVerificationSaysSo() throws {
        let (fixture, code, stranger, admin) = try issued()
        let path = "/api/v1/admin/certificates/\(code)/revoke"
        #expect(try call(RevokeCertificate.endpoint, "POST", path, json: #"{"reason": "Plagiarism"}"#).status == 401)
        #expect(
            try call(RevokeCertificate.endpoint, "POST", path, json: #"{"reason": "Plagiarism"}"#, token: stranger.accessToken).status
                == 403)
        let instructor = try Factory.token(for: fixture.instructor.id, role: .instructor)
        #expect(try call(RevokeCertificate.endpoint, "POST", path, json: #"{"reason": "Plagiarism"}"#, token: instructor).status == 403)
        #expect(try call(RevokeCertificate.endpoint, "POST", path, json: #"{}"#, token: admin.accessToken).status == 422)
        let unknown = "/api/v1/admin/certificates/\(CertificateCode.generate())/revoke"
        #expect(
            try call(RevokeCertificate.endpoint, "POST", unknown, json: #"{"reason": "Plagiarism"}"#, token: admin.accessToken).status
                == 404)
        let revoked = try call(RevokeCertificate.endpoint, "POST", path, json: #"{"reason": "Plagiarism"}"#, token: admin.accessToken)
        #expect(revoked.status == 200)
        #expect(revoked.data["status"]?.string == "revoked")
        let again = try call(RevokeCertificate.endpoint, "POST", path, json: #"{"reason": "Plagiarism"}"#, token: admin.accessToken)
        #expect(again.status == 409)
        let verified = try call(VerifyCertificate.endpoint, "GET", "/api/v1/certificates/\(code)")
        #expect(verified.status == 200)
        #expect(verified.data["valid"] == .bool(false))
        #expect(verified.data["status"]?.string == "revoked")
        #expect(verified.data["revoke_reason"]?.string == "Plagiarism")
        // Only admins still download a revoked certificate; it is not re-issued any more.
        let pdf = "/api/v1/certificates/\(code)/pdf"
        #expect(try call(CertificateDownload.endpoint, "GET", pdf, token: fixture.learner.accessToken).status == 404)
        #expect(try call(CertificateDownload.endpoint, "GET", pdf, token: admin.accessToken).status == 200)
        let reissue = "/api/v1/admin/certificates/\(code)/reissue"
        #expect(try call(ReissueCertificate.endpoint, "POST", reissue, token: admin.accessToken).status == 409)
        #expect(try fixture.issue() == .revoked(code: code))
    }

    @Test func adminsAskForAReissue() throws {
        let (fixture, code, stranger, admin) = try issued()
        let path = "/api/v1/admin/certificates/\(code)/reissue"
        #expect(try call(ReissueCertificate.endpoint, "POST", path, token: stranger.accessToken).status == 403)
        #expect(try call(ReissueCertificate.endpoint, "POST", path).status == 401)
        #expect(
            try call(ReissueCertificate.endpoint, "POST", "/api/v1/admin/certificates/nope/reissue", token: admin.accessToken).status == 404
        )
        #expect(try call(ReissueCertificate.endpoint, "POST", path, token: admin.accessToken).status == 202)
        #expect(try call(ReissueCertificate.endpoint, "POST", path, token: admin.accessToken).status == 202)
        let id = try fixture.row().string("id")
        // Asked twice before the worker ran: one job.
        #expect(
            try fixture.db.query("SELECT count(*)::int AS n FROM jobs WHERE unique_key LIKE \("certificate-reissue:\(id):%")").one().int(
                "n") == 1)
        #expect(try fixture.issue() == .reissued(code: code))
        try fixture.db.execute("DELETE FROM jobs WHERE unique_key LIKE \("certificate-reissue:\(id):%")")
    }
}

extension String {
    fileprivate func replacingDashes() -> String { split(separator: "-").joined(separator: " ") }
}
