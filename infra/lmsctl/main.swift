// lmsctl: the operator CLI. Commands:
//   migrate                         apply infra/migrations (DATABASE_URL; LMS_MIGRATIONS_DIR)
//   create-admin EMAIL NAME         create or promote an admin; password from LMS_ADMIN_PASSWORD or stdin
//   seed-demo                       demo instructors, students and published courses (password: LMS_DEMO_PASSWORD)
//   seed-scale USERS COURSES        benchmark data (e.g. 1000000 100000)
//   nginx-config                    print the nginx config generated from the route manifest
//   fastcgi-functions               print "function processes" for each FastCGI function
//   functions                       print every function named by the manifest
// Settings come from the environment (see .env.example); the manifest from LMS_MANIFEST
// (default infra/routes.manifest).
import Auth
import Crypto
import Database
import Media
import Platform
import Runtime

#if canImport(Glibc)
    import Glibc
#endif

func fail(_ message: String) -> Never {
    var line = Array("lmsctl: \(message)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

let config = Config.load()
let arguments = Array(CommandLine.arguments.dropFirst())
let manifestPath = config["LMS_MANIFEST"] ?? "infra/routes.manifest"

func connect() -> Connection {
    guard let url = config["DATABASE_URL"] else { fail("DATABASE_URL is not set") }
    do { return try Connection(url: url) } catch { fail("cannot connect: \(error)") }
}

func loadManifest() -> Manifest {
    do { return try Manifest.load(manifestPath) } catch { fail("\(error)") }
}

do {
    switch arguments.first {
    case "migrate":
        let applied = try Migrator(folder: config["LMS_MIGRATIONS_DIR"] ?? "infra/migrations").migrate(connect())
        print(applied.isEmpty ? "migrations: up to date" : "migrations: applied " + applied.joined(separator: ", "))
    case "create-admin":
        guard arguments.count == 3 else { fail("usage: lmsctl create-admin EMAIL NAME") }
        var password = config["LMS_ADMIN_PASSWORD"]
        if password == nil, let line = readLine(strippingNewline: true) { password = line }
        guard let password else { fail("give the password in LMS_ADMIN_PASSWORD or on stdin") }
        let id = try Admins.create(connect(), email: arguments[1], name: arguments[2], password: password)
        print("admin \(arguments[1]) ready (id \(id))")
    case "seed-demo":
        let password = config["LMS_DEMO_PASSWORD"] ?? "demo-password"
        let demo = try DemoData.load(connect(), password: password)
        print("demo data ready: \(demo.instructors.count) instructors (\(demo.instructors[0]) ...), \(demo.students.count) students (\(demo.students[0]) ...), password \(demo.password)")
    case "seed-scale":
        guard arguments.count == 3, let users = Int(arguments[1]), let courses = Int(arguments[2]) else {
            fail("usage: lmsctl seed-scale USERS COURSES")
        }
        try ScaleData.load(connect(), users: users, courses: courses, passwordHash: Passwords.hash(Crypto.randomToken()))
        print("scale data: \(users) users, \(courses) published courses")
    case "nginx-config":
        guard let bin = config["LMS_BIN_DIR"], let run = config["LMS_RUN_DIR"], let logs = config["LMS_LOG_DIR"] else {
            fail("LMS_BIN_DIR, LMS_RUN_DIR and LMS_LOG_DIR must be set")
        }
        var settings = NginxConfig.Settings(binDirectory: bin, runDirectory: run, logDirectory: logs)
        settings.listen = config["NGINX_LISTEN"] ?? settings.listen
        settings.envFile = config["LMS_ENV_FILE"]
        settings.user = config["NGINX_USER"]
        settings.corsOrigins = (config["CORS_ORIGINS"] ?? "").split(separator: ",").map { String($0).trimmed() }
        settings.authRate = config["AUTH_RATE_LIMIT"] ?? settings.authRate
        settings.authBurst = config.int("AUTH_RATE_BURST", default: settings.authBurst)
        settings.rateLimitExempt = (config["RATE_LIMIT_EXEMPT"] ?? "").split(separator: ",").map { String($0).trimmed() }
        settings.modeOverride = config["LMS_MODE"].flatMap(Manifest.Mode.init(rawValue:))
        settings.behindTLS = config.bool("LMS_BEHIND_TLS", default: false)
        settings.workerProcesses = config["NGINX_WORKERS"] ?? settings.workerProcesses
        settings.trustedProxies = (config["TRUSTED_PROXIES"] ?? "").split(separator: ",").map { String($0).trimmed() }
        // The local media store's folder and link secret, checked as the functions check them.
        if case .local(let directory, _, let secret) = try MediaStore.from(config).backend {
            settings.mediaDirectory = directory
            settings.mediaSecret = secret
            settings.mediaTypes = storedFileTypes
        }
        print(NginxConfig(manifest: loadManifest(), settings: settings).render(), terminator: "")
    case "fastcgi-functions":
        var settings = NginxConfig.Settings(binDirectory: "", runDirectory: "", logDirectory: "")
        settings.modeOverride = config["LMS_MODE"].flatMap(Manifest.Mode.init(rawValue:))
        let scale = config.int("LMS_FASTCGI_SCALE", default: 1)
        for (function, processes) in NginxConfig(manifest: loadManifest(), settings: settings).fastCGIFunctions() {
            print("\(function) \(processes * max(scale, 1))")
        }
    case "functions":
        for function in loadManifest().functions { print(function) }
    default:
        fail("usage: lmsctl migrate | create-admin EMAIL NAME | nginx-config | fastcgi-functions | functions")
    }
} catch {
    fail("\(error)")
}
