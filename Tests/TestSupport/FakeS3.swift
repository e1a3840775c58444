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

    private let service: FakeService

    public init() throws {
        service = try FakeService("fake_s3.py") { _ in
            ["--access-key", Self.accessKey, "--secret-key", Self.secretKey, "--region", Self.region, "--bucket", Self.bucket]
        }
    }

    public var directory: String { service.directory }
    public var port: Int { service.port }
    public var endpoint: String { service.baseURL }

    /// The settings that point the media store at this bucket.
    public var settings: [String: String] {
        [
            "MEDIA_STORAGE": "s3", "S3_ENDPOINT": endpoint, "S3_BUCKET": Self.bucket, "S3_REGION": Self.region,
            "S3_ACCESS_KEY_ID": Self.accessKey, "S3_SECRET_ACCESS_KEY": Self.secretKey,
        ]
    }
}
