import Auth
import Core
import Courses
import Database
import HTTPClient
import Media
import MediaCheck
import Queue
import Runtime
import TestSupport
import Testing
import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// Upload requests, the local streaming upload, completion and the S3 path (against
/// infra/testing/fake_s3.py, which checks SigV4 as S3 does).
@Suite struct UploadTests {
    func request(_ json: String, token: String?, config: Config? = nil) throws -> TestResponse {
        try call(CreateUpload.endpoint, "POST", "/api/v1/uploads", json: json, token: token, config: config)
    }

    /// Sends the bytes to the local upload URL in-process (the e2e suite goes through nginx).
    func put(_ url: String, _ bytes: [UInt8], type: String) throws -> TestResponse {
        let path = String(url.dropFirst("http://127.0.0.1:18081".count))
        return try call(
            UploadContent.endpoint, "PUT", path, stream: bytes,
            headers: ["content-type": type, "content-length": String(bytes.count)])
    }

    @Test func requestsAreCheckedForRoleTypeAndSize() throws {
        let db = try TestEnvironment.connect()
        let student = try Factory.user(db)
        let teacher = try Factory.user(db, role: .instructor)
        let video = #"{"purpose":"video","filename":"intro.mp4","content_type":"video/mp4","size_bytes":1000}"#
        #expect(try request(video, token: nil).status == 401)
        #expect(try request(video, token: student.accessToken).status == 403)
        #expect(
            try request(
                #"{"purpose":"avatar","filename":"me.png","content_type":"image/png","size_bytes":100}"#, token: student.accessToken
            ).status == 201)
        let badType = try request(
            #"{"purpose":"thumbnail","filename":"x.svg","content_type":"image/svg+xml","size_bytes":10}"#, token: teacher.accessToken)
        #expect(badType.status == 422)
        #expect(badType.failedFields == ["content_type"])
        let tooLarge = try request(
            #"{"purpose":"thumbnail","filename":"x.png","content_type":"image/png","size_bytes":6000000}"#, token: teacher.accessToken)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.code == "file_too_large")
        let invalid = try request(#"{"purpose":"poster","filename":"","size_bytes":0}"#, token: teacher.accessToken)
        #expect(invalid.status == 422)
        #expect(Set(invalid.failedFields) == ["purpose", "filename", "content_type", "size_bytes"])
        #expect(try request("{nope", token: teacher.accessToken).status == 400)
        #expect(try request("[1]", token: teacher.accessToken).status == 400)

        let unverified = try Factory.user(db, role: .instructor, verified: false)
        #expect(try request(video, token: unverified.accessToken).code == "email_unverified")
        let spoofed = try request(
            #"{"purpose":"resource","filename":"C:\\x\\syl\#u{202E}labus.pdf.cmd","content_type":"application/pdf","size_bytes":10}"#,
            token: teacher.accessToken)
        #expect(spoofed.data["media"]?["filename"]?.string == "syllabus.pdf")
        let renamed = try request(
            #"{"purpose":"resource","filename":"notes","content_type":"application/pdf","size_bytes":10}"#, token: teacher.accessToken)
        #expect(renamed.data["media"]?["filename"]?.string == "notes.pdf")
        let overQuota = try request(
            #"{"purpose":"thumbnail","filename":"x.png","content_type":"image/png","size_bytes":2000000}"#, token: teacher.accessToken,
            config: try TestEnvironment.config(["MEDIA_QUOTA_MB": "1"]))
        #expect(overQuota.status == 409)
        #expect(overQuota.code == "quota_exceeded")

        let created = try request(video, token: teacher.accessToken)
        #expect(created.status == 201)
        #expect(created.data["media"]?["status"]?.string == "pending")
        #expect(created.data["upload"]?["method"]?.string == "PUT")
        #expect(created.data["upload"]?["headers"]?["Content-Length"]?.string == "1000")
        let url = try #require(created.data["upload"]?["url"]?.string)
        #expect(url.contains("/api/v1/uploads/") && url.contains("signature="))
        #expect(
            try db.query("SELECT object_key FROM media WHERE id = \(created.data["media"]?["id"]?.string)").first?.string("object_key")
                .hasPrefix("private/video/") == true)
    }

    @Test func localUploadStreamsChecksTheRealTypeAndIsServedPublicly() throws {
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let bytes = Sample.png(300_000)
        let created = try request(
            #"{"purpose":"thumbnail","filename":"../../cover \"1\".png","content_type":"image/png","size_bytes":\#(bytes.count)}"#,
            token: teacher.accessToken)
        let id = try #require(created.data["media"]?["id"]?.string)
        #expect(created.data["media"]?["filename"]?.string == "cover 1.png")
        let url = try #require(created.data["upload"]?["url"]?.string)

        #expect(try put(url.replacingAll("signature=", with: "signature=x"), bytes, type: "image/png").status == 403)
        #expect(try put(url, Array(bytes.dropLast()), type: "image/png").code == "size_mismatch")
        #expect(try put(url, bytes, type: "image/jpeg").status == 415)
        // Still pending after every refusal: nothing half-written.
        #expect(try db.query("SELECT status FROM media WHERE id = \(id)").first?.string("status") == "pending")
        let completeEarly = try call(CompleteUpload.endpoint, "POST", "/api/v1/uploads/\(id)/complete", token: teacher.accessToken)
        #expect(completeEarly.code == "not_uploaded")

        // One upload of an id at a time.
        try db.execute("UPDATE media SET status = 'uploading' WHERE id = \(id)")
        #expect(try put(url, bytes, type: "image/png").code == "upload_in_progress")
        try db.execute("UPDATE media SET status = 'pending' WHERE id = \(id)")
        let uploaded = try put(url, bytes, type: "image/png")
        #expect(uploaded.status == 200)
        #expect(uploaded.data["status"]?.string == "ready")
        let publicURL = try #require(uploaded.data["url"]?.string)
        #expect(publicURL.hasSuffix("/media/public/thumbnail/\(id).png"))
        let key = try db.query("SELECT object_key FROM media WHERE id = \(id)").one().string("object_key")
        #expect(try readFileBytes(TestEnvironment.mediaDirectory + "/" + key) == bytes)
        #expect(try put(url, bytes, type: "image/png").code == "already_uploaded")
        let complete = try call(CompleteUpload.endpoint, "POST", "/api/v1/uploads/\(id)/complete", token: teacher.accessToken)
        #expect(complete.status == 200)
        #expect(complete.data["status"]?.string == "ready")
    }

    @Test func aFileThatLiesAboutItsTypeIsRejected() throws {
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let bytes = Sample.pdf()
        let created = try request(
            #"{"purpose":"thumbnail","filename":"cover.png","content_type":"image/png","size_bytes":\#(bytes.count)}"#,
            token: teacher.accessToken)
        let id = try #require(created.data["media"]?["id"]?.string)
        let response = try put(try #require(created.data["upload"]?["url"]?.string), bytes, type: "image/png")
        #expect(response.status == 415)
        #expect(response.code == "type_mismatch")
        let row = try db.query("SELECT status, object_key FROM media WHERE id = \(id)").one()
        #expect(try row.string("status") == "rejected")
        #expect(throws: (any Error).self) { try readFileBytes(TestEnvironment.mediaDirectory + "/" + (try row.string("object_key"))) }
        let shown = try call(GetUpload.endpoint, "GET", "/api/v1/uploads/\(id)", token: teacher.accessToken)
        #expect(shown.data["status"]?.string == "rejected")
        #expect(shown.data["reject_reason"]?.string?.contains("image/png") == true)
    }

    @Test func uploadsAreVisibleToTheirOwnerAndAdminsOnly() throws {
        let db = try TestEnvironment.connect()
        let teacher = try Factory.user(db, role: .instructor)
        let other = try Factory.user(db, role: .instructor)
        let admin = try Factory.user(db, role: .admin)
        let created = try request(
            #"{"purpose":"resource","filename":"notes.pdf","content_type":"application/pdf","size_bytes":10}"#, token: teacher.accessToken)
        let id = try #require(created.data["media"]?["id"]?.string)
        let path = "/api/v1/uploads/\(id)"
        #expect(try call(GetUpload.endpoint, "GET", path, token: teacher.accessToken).status == 200)
        #expect(try call(GetUpload.endpoint, "GET", path, token: admin.accessToken).status == 200)
        #expect(try call(GetUpload.endpoint, "GET", path, token: other.accessToken).status == 404)
        #expect(try call(GetUpload.endpoint, "GET", path).status == 401)
        #expect(try call(GetUpload.endpoint, "GET", "/api/v1/uploads/nope", token: teacher.accessToken).status == 404)
        #expect(try call(CompleteUpload.endpoint, "POST", path + "/complete", token: other.accessToken).status == 404)
        // An unknown id with a valid signature is a 404.
        let unknown = "00000000-0000-4000-8000-000000000000"
        let store = try MediaStore.from(try TestEnvironment.config())
        let target = store.uploadTarget(mediaId: unknown, key: "x", contentType: "application/pdf", size: 3, now: unixTime())
        #expect(try put(target.url, [1, 2, 3], type: "application/pdf").status == 404)
    }

    @Test func s3UploadsArePresignedAndCheckedByTheMediaWorker() throws {
        let fake = try FakeS3()
        let db = try TestEnvironment.connect()
        let config = try TestEnvironment.config(fake.settings)
        let teacher = try Factory.user(db, role: .instructor)
        let client = try CurlClient()
        let store = try MediaStore.from(config)

        func upload(_ bytes: [UInt8], declared: String, purpose: String = "resource") throws -> String {
            let created = try request(
                #"{"purpose":"\#(purpose)","filename":"f","content_type":"\#(declared)","size_bytes":\#(bytes.count)}"#,
                token: teacher.accessToken,
                config: config)
            #expect(created.status == 201)
            let url = try #require(created.data["upload"]?["url"]?.string)
            #expect(url.hasPrefix(fake.endpoint + "/lms-media/private/\(purpose)/"))
            #expect(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"))
            // The signature pins size and type: S3 refuses anything else.
            #expect(created.data["upload"]?["headers"]?["If-None-Match"]?.string == "*")
            let headers = ["Content-Type": declared, "If-None-Match": "*"]
            #expect(
                try client.request(method: "PUT", url: url, headers: ["Content-Type": "text/html", "If-None-Match": "*"], body: bytes)
                    .status == 403)
            #expect(try client.request(method: "PUT", url: url, headers: headers, body: bytes + [0]).status == 403)
            #expect(try client.request(method: "PUT", url: url + "0", headers: headers, body: bytes).status == 403)
            #expect(try client.request(method: "PUT", url: url, headers: ["Content-Type": declared], body: bytes).status == 403)
            #expect(try client.request(method: "PUT", url: url, headers: headers, body: bytes).status == 200)
            // Only one PUT can succeed: the object cannot be swapped after it is checked.
            #expect(try client.request(method: "PUT", url: url, headers: headers, body: bytes).status == 412)
            return try #require(created.data["media"]?["id"]?.string)
        }
        func verify(_ id: String) throws -> String {
            let completed = try call(
                CompleteUpload.endpoint, "POST", "/api/v1/uploads/\(id)/complete",
                token: teacher.accessToken, config: config)
            #expect(completed.status == 202)
            let job = try #require(try db.query("SELECT id, payload FROM jobs WHERE unique_key = \("media-verify:\(id)")").first)
            let payload = try JSONValue.parse(Array(try job.string("payload").utf8))
            let context = JobContext(db: db, config: config, log: Logger(component: "test"), worker: "test")
            try MediaVerification.handle(
                Queue.Job(
                    id: Int64(try job.int("id")), queue: "media", kind: MediaJobs.verifyKind, payload: payload, attempt: 1, maxAttempts: 10),
                context, client: client, store: store)
            try db.execute("DELETE FROM jobs WHERE id = \(try job.int("id"))")
            return try db.query("SELECT status FROM media WHERE id = \(id)").one().string("status")
        }

        let bytes = Sample.pdf(70_000)
        let good = try upload(bytes, declared: "application/pdf")
        #expect(try verify(good) == "ready")
        let key = try db.query("SELECT object_key FROM media WHERE id = \(good)").one().string("object_key")
        let link = store.privateLink(key: key, downloadName: "Week 1 notes.pdf", now: unixTime())
        let fetched = try client.request(url: link.url)
        #expect(fetched.status == 200)
        #expect(fetched.body == bytes)
        #expect(fetched.header("content-disposition") == "attachment; filename*=UTF-8''Week%201%20notes.pdf")
        #expect(try client.request(url: link.url.replacingAll("X-Amz-Signature=", with: "X-Amz-Signature=0")).status == 403)
        let expired = store.privateLink(key: key, now: unixTime() - 3600)
        #expect(try client.request(url: expired.url).status == 403)

        let liar = try upload(Sample.png(), declared: "application/pdf")
        #expect(try verify(liar) == "rejected")
        let objects = try client.request(url: fake.endpoint + "/_objects").text
        #expect(!objects.contains(liar))
        #expect(objects.contains(good))
    }
}

@Suite struct MediaSweepTests {
    @Test func abandonedAndRejectedUploadsAreRemovedWithTheirBytes() throws {
        let db = try TestEnvironment.connect()
        let owner = try Factory.user(db, role: .instructor)
        let config = try TestEnvironment.config()
        let store = try MediaStore.from(config)
        func media(_ status: String, age: String) throws -> (id: String, path: String) {
            let id = try db.query("SELECT gen_random_uuid()::text AS id").one().string("id")
            let key = "private/resource/\(id).pdf"
            try db.execute(
                """
                INSERT INTO media (id, owner_id, purpose, storage, object_key, filename, declared_type, size_bytes, status, created_at, updated_at)
                VALUES (\(id), \(owner.id), 'resource', 'local', \(key), 'f.pdf', 'application/pdf', 5, \(status),
                        now() - \(age)::interval, now() - \(age)::interval)
                """)
            let path = TestEnvironment.mediaDirectory + "/" + key
            _ = mkdir(TestEnvironment.mediaDirectory, 0o755)
            _ = mkdir(TestEnvironment.mediaDirectory + "/private", 0o755)
            _ = mkdir(TestEnvironment.mediaDirectory + "/private/resource", 0o755)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = write(fd, "%PDF-", 5)
            close(fd)
            return (id, path)
        }
        let abandoned = try media("pending", age: "2 days")
        let fresh = try media("pending", age: "1 hour")
        let rejected = try media("rejected", age: "8 days")
        let ready = try media("ready", age: "30 days")
        let stuck = try media("uploading", age: "2 hours")
        let unchecked = try media("verifying", age: "2 days")
        try db.execute("UPDATE media SET storage = 's3' WHERE id = \(unchecked.id)")
        let context = JobContext(db: db, config: config, log: Logger(component: "test"), worker: "test")
        try MediaSweep.handle(context, client: nil, store: store)
        func exists(_ id: String) throws -> Bool { try db.query("SELECT 1 FROM media WHERE id = \(id)").first != nil }
        #expect(try !exists(abandoned.id) && access(abandoned.path, F_OK) != 0)
        #expect(try !exists(rejected.id) && access(rejected.path, F_OK) != 0)
        #expect(try exists(fresh.id) && access(fresh.path, F_OK) == 0)
        #expect(try exists(ready.id) && access(ready.path, F_OK) == 0)
        #expect(try db.query("SELECT status FROM media WHERE id = \(stuck.id)").first?.string("status") == "pending")
        // Another store's rows are left to a worker of that store.
        #expect(try db.query("SELECT status FROM media WHERE id = \(unchecked.id)").first?.string("status") == "verifying")
        let s3 = try MediaStore.from(
            Config([
                "MEDIA_STORAGE": "s3", "S3_ENDPOINT": "http://127.0.0.1:9", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "a",
                "S3_SECRET_ACCESS_KEY": "s",
            ]))
        try MediaSweep.handle(context, client: nil, store: s3)
        #expect(try db.query("SELECT status FROM media WHERE id = \(unchecked.id)").first?.string("status") == "rejected")
    }
}
