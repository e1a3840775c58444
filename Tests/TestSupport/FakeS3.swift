import Core
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

/// `infra/testing/fake_s3.py` on a free port: an S3 bucket that checks SigV4 presigned URLs as
/// S3 does. Stopped and removed when released; fails (never skips) when it cannot start.
public final class FakeS3 {
    public static let accessKey = "AKIDTESTLMS00000001"
    public static let secretKey = "test/secret+key/for/the/fake/s3/0123456789"
    public static let region = "eu-test-1"
    public static let bucket = "lms-media"

    public let directory: String
    public let port: Int
    private let process: ChildProcess

    public init() throws {
        let directory = try makeTemporaryDirectory("fake-s3")
        let process = try ChildProcess(
            [
                "python3", TestEnvironment.root + "/infra/testing/fake_s3.py", "--access-key", Self.accessKey, "--secret-key",
                Self.secretKey, "--region", Self.region, "--bucket", Self.bucket, "--port-file", directory + "/port",
            ],
            stderr: directory + "/server.log")
        self.directory = directory
        self.process = process
        var waited = 0.0
        while true {
            if let text = try? readTextFile(directory + "/port"), let port = Int(text.trimmed()) {
                self.port = port
                return
            }
            if process.exitStatus() != nil || waited > 30 {
                process.stop()
                let log = (try? readTextFile(directory + "/server.log")) ?? ""
                removeTemporaryDirectory(directory)
                throw ProcessFailure("fake_s3.py did not start: \(log)")
            }
            usleep(20_000)
            waited += 0.02
        }
    }

    deinit {
        process.stop()
        removeTemporaryDirectory(directory)
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The settings that point the media store at this bucket.
    public var settings: [String: String] {
        [
            "MEDIA_STORAGE": "s3", "S3_ENDPOINT": endpoint, "S3_BUCKET": Self.bucket, "S3_REGION": Self.region,
            "S3_ACCESS_KEY_ID": Self.accessKey, "S3_SECRET_ACCESS_KEY": Self.secretKey,
        ]
    }
}
