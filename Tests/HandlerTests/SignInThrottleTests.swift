import Core
import Identity
import Runtime
import TestSupport
import Testing

/// Sign-in throttling per account and client address, and the per-account ceiling across all
/// addresses: nobody elsewhere can lock the owner out, and guessing spread over many
/// addresses still stops.
@Suite struct SignInThrottleTests {
    func signIn(_ email: String, _ password: String, from address: String) throws -> TestResponse {
        try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"\#(password)"}"#, remoteAddress: address)
    }

    @Test func theOwnerSignsInFromAnotherAddressWhileAnAttackersAddressIsLocked() throws {
        let admin = try Factory.user(TestEnvironment.connect(), role: .admin)
        for _ in 0..<5 { #expect(try signIn(admin.email, "a wrong guess", from: "203.0.113.7").status == 401) }
        let attacker = try signIn(admin.email, admin.password, from: "203.0.113.7")
        #expect(attacker.status == 429)
        #expect(Int(attacker.header("Retry-After") ?? "") ?? 0 > 0)
        let owner = try signIn(admin.email, admin.password, from: "198.51.100.20")
        #expect(owner.status == 200)
        #expect(owner.data["user"]?["id"]?.string == admin.id)
        // The owner's success leaves the attacker's lock in place.
        #expect(try signIn(admin.email, admin.password, from: "203.0.113.7").status == 429)
    }

    @Test func anIPv6ClientCountsByItsSlash64() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for host in 1...5 { #expect(try signIn(user.email, "a wrong guess", from: "2001:db8:7:1::\(host)").status == 401) }
        #expect(try signIn(user.email, user.password, from: "2001:db8:7:1:ffff::6").status == 429)
        #expect(try signIn(user.email, user.password, from: "2001:db8:7:2::1").status == 200)
    }

    @Test func anIPv4MappedAddressIsThatIPv4Client() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for _ in 0..<5 { _ = try signIn(user.email, "a wrong guess", from: "192.0.2.55") }
        #expect(try signIn(user.email, user.password, from: "::ffff:192.0.2.55").status == 429)
    }

    @Test func theAccountCeilingStopsGuessesSpreadOverManyAddresses() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for n in 0..<100 {
            let response = try signIn(user.email, "guess \(n)", from: "10.9.\(n / 250).\(n % 250 + 1)")
            #expect(response.status == 401, "guess \(n) from its own address")
        }
        let stopped = try signIn(user.email, user.password, from: "10.10.0.1")
        #expect(stopped.status == 429)
        #expect((1...3600).contains(Int(stopped.header("Retry-After") ?? "") ?? 0))
    }

    @Test func concurrentGuessesFromManyAddressesCannotPassTheCeiling() async throws {
        let user = try Factory.user(TestEnvironment.connect())
        for n in 0..<95 { _ = try signIn(user.email, "guess \(n)", from: "10.11.\(n / 250).\(n % 250 + 1)") }
        let statuses = await withTaskGroup(of: Int.self) { group in
            for n in 0..<10 {
                group.addTask { (try? self.signIn(user.email, "late guess", from: "10.12.0.\(n + 1)").status) ?? 0 }
            }
            var all: [Int] = []
            for await status in group { all.append(status) }
            return all
        }
        #expect(statuses.filter { $0 == 401 }.count == 5)
        #expect(statuses.filter { $0 == 429 }.count == 5)
    }

    @Test func successfulSignInsDoNotSpendTheCeiling() throws {
        let user = try Factory.user(TestEnvironment.connect())
        for n in 0..<99 { _ = try signIn(user.email, "guess \(n)", from: "10.13.\(n / 250).\(n % 250 + 1)") }
        for n in 0..<3 { #expect(try signIn(user.email, user.password, from: "10.14.0.\(n + 1)").status == 200) }
        #expect(try signIn(user.email, "one more guess", from: "10.14.1.1").status == 401)
        #expect(try signIn(user.email, user.password, from: "10.14.1.2").status == 429)
    }
}
