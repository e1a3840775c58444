#if canImport(Glibc)
    import Glibc
#endif

/// A file that could not be read.
public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot read \(path) (errno \(errno))" }
}

/// A whole file's bytes (no Foundation). The one file reader of the project.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw FileError(path: path, errno: errno)
    }
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

/// A whole file as UTF-8 text.
public func readFile(_ path: String) throws -> String {
    String(decoding: try readFileBytes(path), as: UTF8.self)
}

/// Reads a whole text file; a missing or unreadable file is a `ConfigError`.
public func readTextFile(_ path: String) throws -> String {
    do { return try readFile(path) } catch { throw ConfigError(key: path, reason: "cannot be read") }
}

/// `mkdir -p`: creates the missing folders of `path` with `mode`. Nil when the folder exists
/// afterwards; otherwise the folder that could not be made, with `errno` still telling why.
public func makeDirectories(_ path: String, mode: mode_t) -> String? {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, mode) != 0 && errno != EEXIST { return current }
    }
    return nil
}

/// Writes everything, retrying short writes; false when the peer is gone.
@discardableResult
public func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let wrote = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
        if wrote > 0 {
            sent += wrote
        } else if wrote < 0 && errno == EINTR {
            continue
        } else {
            return false
        }
    }
    return true
}

/// The names in a folder (without `.` and `..`) with whether each is a folder, unsorted;
/// nil when it cannot be opened. The one folder lister of the project.
public func folderEntries(_ path: String) -> [(name: String, isFolder: Bool)]? {
    guard let folder = opendir(path) else { return nil }
    defer { closedir(folder) }
    var entries: [(String, Bool)] = []
    while let entry = readdir(folder) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { entries.append((name, entry.pointee.d_type == UInt8(DT_DIR))) }
    }
    return entries
}

/// `path` with every symlink resolved (what a deploy's `functions/NAME` points to), or nil.
public func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
