// The baseline of the CGI benchmark: the smallest possible CGI program in Swift, served by the
// same fcgiwrap as the real functions, so the figure shows what our runtime adds.
#if canImport(Glibc)
    import Glibc
#endif

let body = #"{"success":true,"message":"hello","data":null}"#
let response = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
var bytes = Array(response.utf8)
_ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
