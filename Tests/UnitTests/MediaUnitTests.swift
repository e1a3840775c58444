import Core
import Crypto
import Media
import Runtime
import Testing

@Suite struct MediaUnitTests {
    /// The presigned URL example of the S3 documentation ("Authenticating Requests: Using Query
    /// Parameters"), signature and all.
    @Test func sigV4MatchesTheAWSExample() {
        let signer = SigV4(
            accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let url = signer.presign(
            method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expires: 86400,
            now: 1_369_353_600)  // 2013-05-24T00:00:00Z
        #expect(url.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
        #expect(
            url.hasPrefix(
                "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            ))
    }

    @Test func fileKindsComeFromTheFirstBytes() {
        #expect(FileKind.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(FileKind.detect(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
        #expect(FileKind.detect([0, 0, 0, 0x18] + Array("ftypqt  ".utf8)) == .isoMedia)
        #expect(FileKind.detect([0x1A, 0x45, 0xDF, 0xA3, 1]) == .webm)
        #expect(FileKind.detect(Array("%PDF-1.4".utf8)) == .pdf)
        #expect(FileKind.detect([0x50, 0x4B, 0x03, 0x04, 0x14]) == .zip)
        #expect(FileKind.detect([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) == .ole)
        #expect(FileKind.detect([0xEF, 0xBB, 0xBF] + Array("WEBVTT\n".utf8)) == .webVTT)
        #expect(FileKind.detect(Array("WEBVTTX".utf8)) == .plainText)  // not WebVTT: just text
        #expect(FileKind.detect(Array("1\r\n00:00:01,000 --> 00:00:02,000\r\nHi".utf8)) == .subRip)
        #expect(FileKind.detect(Array("<html><script>".utf8)) == nil)
        #expect(FileKind.detect(Array("<svg xmlns=".utf8)) == nil)
        #expect(FileKind.detect([]) == nil)
        #expect(FileKind.zip.contentTypes.contains("application/vnd.openxmlformats-officedocument.presentationml.presentation"))
        #expect(!FileKind.pdf.contentTypes.contains("image/png"))
    }

    @Test func purposesLimitWhoWhatAndHowMuch() {
        #expect(MediaPurpose.avatar.allows(.student))
        #expect(!MediaPurpose.video.allows(.student))
        #expect(MediaPurpose.thumbnail.isPublic && !MediaPurpose.resource.isPublic)
        #expect(!MediaPurpose.thumbnail.contentTypes.contains("image/svg+xml"))
        #expect(MediaPurpose.video.maxBytes == 4 << 30)
    }

    @Test func localLinksAreSignedForNginxSecureLink() throws {
        let store = try MediaStore.from(
            Config([
                "MEDIA_SIGNING_SECRET": String(repeating: "s", count: 32), "MEDIA_DIR": "/m", "PUBLIC_BASE_URL": "https://api.example/",
            ]))
        let link = store.privateLink(key: "private/resource/a.pdf", downloadName: "Q&A 1.pdf", now: 1000)
        // secure_link_md5 "$secure_link_expires$uri$arg_name <secret>", as base64url without padding.
        let expected = Base64URL.encode(
            Crypto.md5(Array("1900/media/private/resource/a.pdfQ%26A%201.pdf \(String(repeating: "s", count: 32))".utf8)))
        #expect(link.url == "https://api.example/media/private/resource/a.pdf?md5=\(expected)&expires=1900&name=Q%26A%201.pdf")
        #expect(Crypto.hex(Crypto.md5(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        let target = store.uploadTarget(mediaId: "m1", key: "k", contentType: "image/png", size: 5, now: 1000)
        let query = target.url.split(separator: "?")[1].split(separator: "&").map {
            $0.split(separator: "=", maxSplits: 1).map(String.init)
        }
        #expect(store.acceptsUpload(mediaId: "m1", expires: query[0][1], signature: query[1][1], now: 1000))
        #expect(!store.acceptsUpload(mediaId: "m2", expires: query[0][1], signature: query[1][1], now: 1000))
        #expect(!store.acceptsUpload(mediaId: "m1", expires: "99999", signature: query[1][1], now: 1000))
        #expect(!store.acceptsUpload(mediaId: "m1", expires: query[0][1], signature: query[1][1], now: 99_999))
        #expect(throws: (any Error).self) { try MediaStore.from(Config(["MEDIA_SIGNING_SECRET": "short"])) }
        #expect(throws: (any Error).self) { try MediaStore.from(Config(["MEDIA_STORAGE": "ftp"])) }
        #expect(throws: (any Error).self) {
            try MediaStore.from(Config(["MEDIA_SIGNING_SECRET": String(repeating: "s", count: 32), "MEDIA_DIR": ".data/media"]))
        }
        // A default port is not signed: clients do not send it in Host.
        let s3 = try MediaStore.from(
            Config([
                "MEDIA_STORAGE": "s3", "S3_ENDPOINT": "https://s3.example.test:443", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "a",
                "S3_SECRET_ACCESS_KEY": "s",
            ]))
        #expect(s3.privateLink(key: "private/x.pdf", now: 1000).url.hasPrefix("https://s3.example.test/b/private/x.pdf?"))
    }
}
