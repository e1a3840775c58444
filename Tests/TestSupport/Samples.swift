/// Files that look like what they claim (magic bytes), padded to a size.
public enum Sample {
    public static func png(_ size: Int = 2048) -> [UInt8] { pad([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], size) }
    public static func pdf(_ size: Int = 4096) -> [UInt8] { pad(Array("%PDF-1.7\n".utf8), size) }
    public static func mp4(_ size: Int = 8192) -> [UInt8] { pad([0, 0, 0, 0x20] + Array("ftypisom".utf8), size) }
    public static func vtt() -> [UInt8] { Array("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n".utf8) }
    public static func pad(_ head: [UInt8], _ size: Int) -> [UInt8] {
        head + (0..<max(0, size - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    }
}
