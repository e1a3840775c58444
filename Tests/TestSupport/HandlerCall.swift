import Core
import Database
import FoundationEssentials
import Runtime

/// A response decoded for assertions.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    public var data: JSONValue { json["data"] ?? .null }
    public var code: String? { if case .string(let code)? = json["code"] { return code } else { return nil } }
    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public func headers(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    /// The names of the fields a 422 listed.
    public var failedFields: [String] {
        guard case .array(let errors)? = json["errors"] else { return [] }
        return errors.compactMap { if case .string(let field)? = $0["field"] { return field } else { return nil } }
    }
}

extension JSONValue {
    public var string: String? { if case .string(let value) = self { return value } else { return nil } }
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var number: Double? { if case .number(let value) = self { return value } else { return nil } }
    /// An element of an array, nil past its end or for anything else.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }
}

/// Calls an endpoint in-process, through the same `Function.respond` the executables use:
/// routing, path-parameter types and the declared access are checked as in production.
public func call(
    _ endpoint: Endpoint, _ method: String, _ path: String, json: String? = nil,
    body: [UInt8]? = nil, stream: [UInt8]? = nil, token: String? = nil, headers: [String: String] = [:], config: Config? = nil,
    database: DatabaseSource? = nil, remoteAddress: String = ""
) throws -> TestResponse {
    var request = Request(method: method, path: path, headers: headers, remoteAddress: remoteAddress)
    if let stream { request.stream = BodyStream(bytes: stream) }
    if let json {
        request.body = Array(json.utf8)
        request.headers["content-type"] = request.headers["content-type"] ?? "application/json"
    }
    if let body { request.body = body }
    if let token { request.headers["authorization"] = "Bearer \(token)" }
    if let mark = path.firstIndex(of: "?") {
        request.rawQuery = String(path[path.index(after: mark)...])
        request.path = String(path[..<mark])
    }
    let source = try database ?? DatabaseSource(url: TestEnvironment.databaseURL(), prepareStatements: false)
    let response = Function.respond(
        to: request, endpoint: endpoint, config: try config ?? TestEnvironment.config(), database: source, component: "test")
    return TestResponse(status: response.status, headers: response.headers, body: response.body)
}
