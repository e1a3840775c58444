#if canImport(Glibc)
    import Glibc
#endif

/// A whole file's bytes.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw HTTPClient.Failure(description: "cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}
