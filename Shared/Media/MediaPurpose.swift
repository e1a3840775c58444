import Auth

/// What an upload is for, and the rules that follow: who may upload it, how large it may be,
/// which content types it may have, and whether anyone may fetch it by a permanent URL.
public enum MediaPurpose: String, Sendable, CaseIterable {
    case video, thumbnail, avatar, resource, subtitle
    /// A learner's work handed in for an assignment (private: the learner, the course's
    /// instructor and admins reach it through signed links).
    case submission

    public var maxBytes: Int {
        switch self {
        case .video: return 4 << 30  // 4 GiB: a long lecture in 1080p
        case .thumbnail: return 5 << 20
        case .avatar: return 2 << 20
        case .resource: return 200 << 20
        case .subtitle: return 1 << 20
        case .submission: return 25 << 20
        }
    }

    public var contentTypes: [String] {
        switch self {
        case .video: return ["video/mp4", "video/webm", "video/quicktime"]
        case .thumbnail, .avatar: return ["image/jpeg", "image/png", "image/webp"]
        case .resource:
            return FileKind.pdf.contentTypes + FileKind.zip.contentTypes + FileKind.ole.contentTypes + ["image/jpeg", "image/png"]
        case .subtitle: return ["text/vtt", "application/x-subrip"]
        case .submission:
            return FileKind.pdf.contentTypes + FileKind.zip.contentTypes + FileKind.ole.contentTypes + ["image/jpeg", "image/png"]
                + FileKind.plainText.contentTypes
        }
    }

    /// Thumbnails and avatars are shown to everyone; the rest is course content.
    public var isPublic: Bool { self == .thumbnail || self == .avatar }

    /// Course material is uploaded by instructors and admins; anyone signed in has an avatar
    /// and may hand in work.
    public func allows(_ role: Role) -> Bool {
        self == .avatar || self == .submission || role == .instructor || role == .admin
    }
}
