import Core
import Runtime
import TestSupport
import Testing

/// A user's whole life through nginx and the real binaries, once per mode.
@Suite struct IdentityFlowTests {
    @Test(arguments: Mode.allCases)
    func signUpUseAndCloseAnAccount(mode: Mode) throws {
        let client = try mode.client()
        let email = Factory.uniqueEmail("e2e-\(mode.rawValue)")
        let signup = try client.send(
            "POST", "/api/v1/auth/signup",
            json: #"{"name":"Flow User","email":"\#(email.uppercased())","password":"first passphrase","role":"instructor"}"#)
        #expect(signup.status == 201)
        let access = try #require(signup.data["access_token"]?.string)
        let userId = try #require(signup.data["user"]?["id"]?.string)

        // Bearer and cookie both work.
        #expect(try client.send("GET", "/api/v1/users/me", token: access).data["email"]?.string == email)
        let cookie = try #require(signup.headers("Set-Cookie").first { $0.hasPrefix("access_token=") })
        let viaCookie = try client.send("GET", "/api/v1/users/me", headers: ["Cookie": String(cookie.split(separator: ";")[0])])
        #expect(viaCookie.status == 200)

        let patch = try client.send(
            "PATCH", "/api/v1/users/me", json: #"{"headline":"Teaches Swift","links":{"github":"https://github.example/x"}}"#, token: access
        )
        #expect(patch.status == 200)
        let profile = try client.send("GET", "/api/v1/users/\(userId)")
        #expect(profile.data["headline"]?.string == "Teaches Swift")
        #expect(profile.data["email"] == nil)

        let login = try client.send("POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"first passphrase"}"#)
        #expect(login.status == 200)
        let refresh = try #require(login.data["refresh_token"]?.string)
        let rotated = try client.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
        #expect(rotated.status == 200)
        // Reused at once: taken for a concurrent refresh (409); reuse later revokes the family.
        #expect(try client.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#).status == 409)

        let change = try client.send(
            "POST", "/api/v1/users/me/password", json: #"{"current_password":"first passphrase","new_password":"second passphrase"}"#,
            token: access)
        #expect(change.status == 200)
        #expect(try client.send("GET", "/api/v1/users/me", token: access).status == 401)
        let fresh = try #require(change.data["access_token"]?.string)

        let logout = try client.send(
            "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(change.data["refresh_token"]?.string ?? "")"}"#)
        #expect(logout.status == 200)

        let delete = try client.send("DELETE", "/api/v1/users/me", json: #"{"password":"second passphrase"}"#, token: fresh)
        #expect(delete.status == 200)
        #expect(try client.send("GET", "/api/v1/users/\(userId)").status == 404)
        #expect(try client.send("POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"second passphrase"}"#).status == 401)
    }

    @Test(arguments: Mode.allCases)
    func forgedTokensAreRefused(mode: Mode) throws {
        let client = try mode.client()
        let none =
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJyb2xlIjoiYWRtaW4iLCJpYXQiOjAsImV4cCI6OTk5OTk5OTk5OSwidmVyIjowfQ."
        let response = try client.send("GET", "/api/v1/users/me", token: none)
        #expect(response.status == 401)
        #expect(response.code == "invalid_token")
    }
}
