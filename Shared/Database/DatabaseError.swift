/// What can go wrong talking to PostgreSQL. The runtime maps `unavailable` to 503 and
/// everything else it does not recognise to 500; handlers catch the constraint cases they expect.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The server cannot be reached or the connection broke.
        case unavailable
        case uniqueViolation
        case foreignKeyViolation
        case checkViolation
        case notNullViolation
        /// Statement timeout or cancellation.
        case timeout
        case serializationFailure
        /// A value PostgreSQL cannot read as its type (22P02, 22007, 22008, 22003, 22021).
        case invalidInput
        /// A result column was missing or did not decode; a bug in the caller.
        case decoding
        case other
    }

    public var kind: Kind
    /// SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// Name of the violated constraint, when the server sent one.
    public var constraint: String?
    /// Server message; for logs only, never for response bodies.
    public var message: String

    public init(_ kind: Kind, sqlState: String? = nil, constraint: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.message = message
    }

    public var description: String {
        "DatabaseError(\(kind), sqlstate: \(sqlState ?? "-"), constraint: \(constraint ?? "-")): \(message)"
    }

    static func from(sqlState: String?, constraint: String?, message: String) -> DatabaseError {
        let kind: Kind
        switch sqlState {
        case "23505": kind = .uniqueViolation
        case "23503": kind = .foreignKeyViolation
        case "23514": kind = .checkViolation
        case "23502": kind = .notNullViolation
        case "57014": kind = .timeout
        case "40001", "40P01": kind = .serializationFailure
        case "22P02", "22007", "22008", "22003", "22021", "22001": kind = .invalidInput
        case let state? where state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300":
            kind = .unavailable
        default: kind = .other
        }
        return DatabaseError(kind, sqlState: sqlState, constraint: constraint, message: message)
    }
}
