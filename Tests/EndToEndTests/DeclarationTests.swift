import Auth
import Core
import Platform
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The routes as the installed executables declare them (`NAME --describe`).
func deployedManifest() throws -> Manifest {
    try Manifest.describe(directory: try TestEnvironment.value("E2E_FUNCTIONS_DIR"))
}

/// Each endpoint is declared once, in its code; these tests hold everything else to it: the
/// folders under Functions/, the OpenAPI document, and the access the runtime enforces.
@Suite struct DeclarationTests {
    /// Every folder under Functions/ that holds a main.swift, as an executable name.
    func functionFolders(_ path: String = "", into found: inout [String]) {
        guard let directory = opendir(TestEnvironment.root + "/Functions" + path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            if name == "main.swift" {
                found.append(String(path.dropFirst()).replacingAll("/", with: "-"))
            } else if entry.pointee.d_type == UInt8(DT_DIR) {
                functionFolders(path + "/" + name, into: &found)
            }
        }
    }

    @Test func everyFunctionFolderIsInstalledAndDescribesItself() throws {
        var folders: [String] = []
        functionFolders(into: &folders)
        let described = try deployedManifest().functions
        for folder in folders where !described.contains(folder) {
            Issue.record("Functions/\(folder.replacingAll("-", with: "/")) is not installed or does not describe itself")
        }
        for function in described where !folders.contains(function) {
            Issue.record("\(function) is installed but has no folder under Functions/")
        }
    }

    @Test func openAPIDocumentsEveryDeclaredRouteWithItsAccess() throws {
        let document = try JSONValue.parse(Array(try readTextFile(TestEnvironment.root + "/infra/openapi.json").utf8))
        guard case .object(let paths)? = document["paths"] else {
            Issue.record("infra/openapi.json has no paths")
            return
        }
        var operations: [String: JSONValue] = [:]
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, operation) in methods where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations["\(method.uppercased()) \(path)"] = operation
            }
        }
        let routes = try deployedManifest().routes
        for route in routes {
            let key = "\(route.method) \(route.path)"
            guard let operation = operations[key] else {
                Issue.record("infra/openapi.json lacks \(key) (declared by \(route.function))")
                continue
            }
            #expect(operation["operationId"]?.string == route.function, "\(key): operationId should be \(route.function)")
            // Security: public routes need none (or make it optional with {}), the rest a session.
            var schemes: [JSONValue] = []
            if case .array(let list)? = operation["security"] { schemes = list }
            let optional = schemes.isEmpty || schemes.contains(.object([:]))
            #expect(optional == route.isPublic, "\(key): security does not match its access \(route.access)")
            // Role-restricted routes list their roles in x-roles.
            var roles: [String] = []
            if case .array(let list)? = operation["x-roles"] { roles = list.compactMap(\.string) }
            let declared = route.isPublic || route.access == ["signed-in"] ? [] : route.access
            #expect(Set(roles) == Set(declared), "\(key): x-roles \(roles) should be \(declared)")
        }
        for key in operations.keys where !routes.contains(where: { "\($0.method) \($0.path)" == key }) {
            Issue.record("infra/openapi.json documents \(key), which no function declares")
        }
    }

    /// The runtime's answers for a missing or unusable session.
    func sessionRefusal(_ response: TestResponse) -> Bool {
        response.status == 401 && ["unauthorized", "invalid_token", "token_expired"].contains(response.code ?? "")
    }

    /// Every declared route, as anonymous and as each role: the runtime refuses exactly the
    /// callers its declaration does not admit, before the handler runs.
    @Test(arguments: Mode.allCases)
    func theDeclaredAccessHoldsForEveryRouteAndRole(mode: Mode) throws {
        let db = try TestEnvironment.connect()
        var tokens: [(Role, String)] = []
        for role in Role.allCases { tokens.append((role, try Factory.user(db, role: role).accessToken)) }
        let client = try mode.client()
        let someId = "00000000-0000-4000-8000-00000000abcd"
        for route in try deployedManifest().routes {
            var path = route.path
            while let open = path.firstIndex(of: "{"), let close = path[open...].firstIndex(of: "}") {
                path.replaceSubrange(open...close, with: someId)
            }
            let body = ["POST", "PUT", "PATCH"].contains(route.method) ? "{}" : nil
            let anonymous = try client.send(route.method, path, json: body)
            #expect(anonymous.json["success"]?.bool == false || anonymous.status < 300, "\(route.function): not an envelope")
            if route.isPublic {
                // (A public route may still answer 401 for its own reasons, e.g. a bad refresh token.)
                #expect(!sessionRefusal(anonymous), "\(route.function) is public but refused an anonymous caller")
            } else {
                #expect(anonymous.status == 401, "\(route.function) answered \(anonymous.status) to an anonymous caller")
            }
            for (role, token) in tokens {
                let response = try client.send(route.method, path, json: body, token: token)
                let admitted = route.isPublic || route.access == ["signed-in"] || route.access.contains(role.rawValue)
                if admitted {
                    #expect(
                        !sessionRefusal(response) && response.code != "forbidden",
                        "\(route.function) refused \(role.rawValue) (\(response.status) \(response.code ?? ""))")
                } else {
                    #expect(
                        response.status == 403 && response.code == "forbidden",
                        "\(route.function) answered \(response.status) to \(role.rawValue), which its access \(route.access) excludes")
                }
            }
        }
    }
}
