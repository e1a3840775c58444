import Core
import Database
import Queue

/// Asks the certificate worker for a re-issue (same code, today's names, the file replaced), in
/// the caller's transaction: an admin's action or a learner's name change.
public enum CertificateReissue {
    /// Marks the certificates and enqueues one `certificate.issue` job each, keyed by the
    /// version it replaces (asking twice before the worker ran is one job).
    @discardableResult
    public static func request(_ db: Connection, certificateIds: [String]) throws -> Int {
        var count = 0
        for id in certificateIds {
            guard
                let row = try db.query(
                    """
                    UPDATE certificates SET reissue_requested_at = now()
                    WHERE id = \(id) AND revoked_at IS NULL
                    RETURNING user_id, course_id, version
                    """
                ).first
            else { continue }
            try Queue.enqueue(
                db, kind: "certificate.issue",
                payload: ["user_id": try row.string("user_id"), "course_id": try row.string("course_id")],
                options: .init(queue: "certificates", uniqueKey: "certificate-reissue:\(id):\(try row.int("version"))"))
            count += 1
        }
        return count
    }

    /// Every certificate of a user who changed their name.
    @discardableResult
    public static func requestForUser(_ db: Connection, userId: String) throws -> Int {
        let ids = try db.query("SELECT id FROM certificates WHERE user_id = \(userId) AND revoked_at IS NULL").rows.map {
            try $0.string("id")
        }
        return try request(db, certificateIds: ids)
    }
}
