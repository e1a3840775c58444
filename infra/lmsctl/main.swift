// lmsctl: the operator CLI. Commands:
//   migrate                         apply infra/migrations (DATABASE_URL; LMS_MIGRATIONS_DIR)
//   create-admin EMAIL NAME         create or promote an admin; password from LMS_ADMIN_PASSWORD or stdin
//   seed-demo                       demo instructors, students and published courses (password: LMS_DEMO_PASSWORD),
//                                   a course with a quiz and an assignment, XP, badges, a leaderboard, certificates
//   seed-scale USERS COURSES        benchmark data (e.g. 1000000 100000); then makes the catalog band
//   seed-scale-xp EVENTS            XP events over the seed-scale users, and their leaderboard scores
//   catalog-band                    (re)make the catalog search's popular band (daily, from cron)
//   routes                          print every route: what the function executables declare (`--describe`)
//                                   with the operator's overrides (LMS_FUNCTIONS_CONF) applied
//   nginx-config                    print the nginx config generated from those routes
//   fastcgi-functions               print "function processes" for each FastCGI function
//   deploy [--route-change] NAME[=BINARY]...
//                                   check, install and switch to a new build of each function (BINARY,
//                                   default $LMS_BUILD_DIR/NAME); FastCGI servers replaced gracefully
//   rollback NAME...                switch each function back to the release its last deploy replaced
//   status                          every function: release, previous release, FastCGI servers, restarts
// Settings come from the environment (see .env.example). The function executables are in
// LMS_FUNCTIONS_DIR (default $LMS_STACK_DIR/functions); deploy, rollback and status work on the
// stack folder LMS_STACK_DIR (infra/up.sh's is .data).
import Auth
import Core
import Crypto
import Database
import Media
import Payments
import Platform

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
let stack = config["LMS_STACK_DIR"] ?? ".data"
let functionsDirectory = config["LMS_FUNCTIONS_DIR"] ?? stack + "/functions"

func connect() -> Connection {
    guard let url = config["DATABASE_URL"] else { fail("DATABASE_URL is not set") }
    do { return try Connection(url: url) } catch { fail("cannot connect: \(error)") }
}

func loadManifest() -> Manifest {
    do {
        return try Manifest.describe(directory: functionsDirectory, overrides: config["LMS_FUNCTIONS_CONF"])
    } catch { fail("\(error)") }
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
        let demo = try DemoData.load(connect(), password: password, billing: BillingSettings(config))
        let awards = try DemoAchievements.load(connect())
        print(
            "demo data ready: \(demo.instructors.count) instructors (\(demo.instructors[0]) ...), \(demo.students.count) students (\(demo.students[0]) ...), password \(demo.password); \(awards) XP awards, badges, a leaderboard, certificates queued"
        )
    case "seed-scale":
        guard arguments.count == 3, let users = Int(arguments[1]), let courses = Int(arguments[2]) else {
            fail("usage: lmsctl seed-scale USERS COURSES")
        }
        try ScaleData.load(connect(), users: users, courses: courses, passwordHash: Passwords.hash(Crypto.randomToken()))
        print("scale data: \(users) users, \(courses) published courses")
        print(try CatalogBand.refresh(connect()))
    case "catalog-band":
        print(try CatalogBand.refresh(connect()))
    case "seed-scale-xp":
        guard arguments.count == 2, let events = Int(arguments[1]) else { fail("usage: lmsctl seed-scale-xp EVENTS") }
        try ScaleXP.load(connect(), events: events)
        print("scale XP: \(events) events and their weekly and monthly scores")
    case "nginx-config":
        guard let run = config["LMS_RUN_DIR"], let logs = config["LMS_LOG_DIR"] else {
            fail("LMS_RUN_DIR and LMS_LOG_DIR must be set")
        }
        var settings = NginxConfig.Settings(binDirectory: functionsDirectory, runDirectory: run, logDirectory: logs)
        settings.listen = config["NGINX_LISTEN"] ?? settings.listen
        settings.envFile = config["LMS_ENV_FILE"]
        settings.user = config["NGINX_USER"]
        settings.corsOrigins = (config["CORS_ORIGINS"] ?? "").split(separator: ",").map { String($0).trimmed() }
        settings.authRate = config["AUTH_RATE_LIMIT"] ?? settings.authRate
        settings.authBurst = config.int("AUTH_RATE_BURST", default: settings.authBurst)
        settings.lookupRate = config["LOOKUP_RATE_LIMIT"] ?? settings.lookupRate
        settings.lookupBurst = config.int("LOOKUP_RATE_BURST", default: settings.lookupBurst)
        settings.webhookRate = config["WEBHOOK_RATE_LIMIT"] ?? settings.webhookRate
        settings.webhookBurst = config.int("WEBHOOK_RATE_BURST", default: settings.webhookBurst)
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
    case "routes":
        for route in loadManifest().routes {
            let processes = route.mode == .fastcgi ? String(route.processes) : "-"
            print(
                [
                    route.method, route.path, route.function, route.access.joined(separator: ","), route.mode.rawValue, processes,
                    String(route.bodyLimit), route.rateClass ?? "-",
                ].joined(separator: "\t"))
        }
    case "deploy":
        let deployment = Deployment(stack: stack)
        let allowRouteChange = arguments.contains("--route-change")
        let names = arguments.dropFirst().filter { !$0.hasPrefix("--") }
        guard !names.isEmpty else { fail("usage: lmsctl deploy [--route-change] NAME[=BINARY]...") }
        for name in names {
            let parts = name.split(separator: "=", maxSplits: 1).map(String.init)
            guard let binary = parts.count == 2 ? parts[1] : config["LMS_BUILD_DIR"].map({ $0 + "/" + parts[0] }) else {
                fail("give NAME=BINARY or set LMS_BUILD_DIR")
            }
            let outcome = try deployment.deploy(function: parts[0], binary: binary, allowRouteChange: allowRouteChange)
            print(
                "deployed \(outcome.function) \(outcome.release) (was \(outcome.previous ?? "none"); FastCGI instances reloaded: \(outcome.reloaded))"
            )
        }
    case "rollback":
        guard arguments.count >= 2 else { fail("usage: lmsctl rollback NAME...") }
        for name in arguments.dropFirst() {
            let outcome = try Deployment(stack: stack).rollback(function: name)
            print(
                "rolled back \(outcome.function) to \(outcome.release) (was \(outcome.previous ?? "none"); FastCGI instances reloaded: \(outcome.reloaded))"
            )
        }
    case "status":
        for line in try Deployment(stack: stack).status() { print(line) }
    default:
        fail(
            "usage: lmsctl migrate | create-admin EMAIL NAME | seed-demo | seed-scale USERS COURSES | seed-scale-xp EVENTS | catalog-band | routes | nginx-config | fastcgi-functions | deploy NAME... | rollback NAME... | status"
        )
    }
} catch {
    fail("\(error)")
}
