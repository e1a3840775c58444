// The baseline of the CGI benchmark: the smallest possible CGI program in Swift, served by the
// same fcgiwrap as the real functions, so the figure shows what our runtime adds.
#if canImport(Glibc)
    import Glibc
#endif

// Like every function it declares its route, so the proxy config can be generated with it.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "--describe" {
    print(#"{"method":"GET","path":"/api/v1/bench/hello","access":"public","mode":"cgi","processes":1,"body":0,"rate":null}"#)
    exit(0)
}

let body = #"{"success":true,"message":"hello","data":null}"#
let response = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
var bytes = Array(response.utf8)
_ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
