#if canImport(Glibc)
    import Glibc
#endif

/// A new empty folder under /tmp, for one test's files.
public func makeTemporaryDirectory(_ prefix: String = "lms-test") throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw ProcessFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
    return String(cString: made)
}

/// Removes a folder made by `makeTemporaryDirectory` and everything in it.
public func removeTemporaryDirectory(_ path: String) {
    guard path.hasPrefix("/tmp/") else { return }  // never anything else, whatever the caller passes
    _ = try? runCommand(["rm", "-rf", "--", path])
}
