#if canImport(Glibc)
    import Glibc
#endif

/// Runs an executable with exactly `environment`, feeds it `input` on stdin and returns what it
/// wrote to stdout and its exit status. `stdinFromDevNull` leaves no input at all.
public func runProcess(_ path: String, environment: [String: String], input: [UInt8] = []) throws -> (output: [UInt8], status: Int32) {
    var stdinPipe: [Int32] = [0, 0]
    var stdoutPipe: [Int32] = [0, 0]
    guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0 else { throw HTTPClient.Failure(description: "pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
    posix_spawn_file_actions_addclose(&actions, stdinPipe[1])
    posix_spawn_file_actions_addclose(&actions, stdoutPipe[0])
    let arguments = [strdup(path), nil]
    let environ = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        arguments.forEach { free($0) }
        environ.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, arguments, environ)
    close(stdinPipe[0])
    close(stdoutPipe[1])
    guard spawned == 0 else {
        close(stdinPipe[1])
        close(stdoutPipe[0])
        throw HTTPClient.Failure(description: "spawn \(path) failed: \(spawned)")
    }
    signal(SIGPIPE, SIG_IGN)
    var written = 0
    while written < input.count {
        let count = input.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress! + written, input.count - written) }
        if count <= 0 { break }
        written += count
    }
    close(stdinPipe[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(stdoutPipe[0], &buffer, buffer.count)
        if count <= 0 { break }
        output += buffer[0..<count]
    }
    close(stdoutPipe[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (output, status)
}
