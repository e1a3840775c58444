import Core
import Identity
import Runtime
import TestSupport
import Testing

/// Responses that hand out a session also carry the access token as the envelope's top-level
/// `token` (`{success, message, data, token}`), where the seed frontends read it.
@Suite struct SessionEnvelopeTests {
    func expectTopLevelToken(_ response: TestResponse, _ route: String) {
        let token = response.json["token"]?.string
        #expect(token != nil, "\(route) has no top-level token: \(response.text)")
        #expect(token == response.data["access_token"]?.string, "\(route)")
        #expect(token?.split(separator: ".").count == 3, "\(route)")
        #expect(response.json["success"]?.bool == true)
    }

    @Test func signUpSignInRefreshAndPasswordChangeCarryTheToken() throws {
        let email = Factory.uniqueEmail("envelope")
        let signup = try call(
            Signup.endpoint, "POST", "/api/v1/auth/signup", json: #"{"name":"Asha Rao","email":"\#(email)","password":"long enough pw"}"#)
        #expect(signup.status == 201)
        expectTopLevelToken(signup, "sign-up")

        let login = try call(Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(email)","password":"long enough pw"}"#)
        #expect(login.status == 200)
        expectTopLevelToken(login, "sign-in")

        let refreshToken = try #require(login.data["refresh_token"]?.string)
        let refresh = try call(Refresh.endpoint, "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refreshToken)"}"#)
        #expect(refresh.status == 200)
        expectTopLevelToken(refresh, "refresh")

        let access = try #require(refresh.json["token"]?.string)
        let changed = try call(
            ChangePassword.endpoint, "POST", "/api/v1/users/me/password",
            json: #"{"current_password":"long enough pw","new_password":"another long pw"}"#, token: access)
        #expect(changed.status == 200)
        expectTopLevelToken(changed, "password change")
    }

    @Test func otherResponsesAndErrorsCarryNoToken() throws {
        let user = try Factory.user(TestEnvironment.connect())
        let me = try call(GetMe.endpoint, "GET", "/api/v1/users/me", token: user.accessToken)
        #expect(me.status == 200)
        #expect(me.json["token"] == nil)
        let failed = try call(
            Login.endpoint, "POST", "/api/v1/auth/login", json: #"{"email":"\#(user.email)","password":"wrong password"}"#)
        #expect(failed.status == 401)
        #expect(failed.json["token"] == nil)
    }
}
