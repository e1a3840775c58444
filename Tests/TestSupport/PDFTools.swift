import Core

#if canImport(Glibc)
    import Glibc
#endif

/// Writes `pdf` to a temporary file and runs a poppler tool on it (`["pdftotext", "-enc",
/// "UTF-8"]`, `["pdffonts"]`, `["pdfinfo"]`): what it printed, as a person reading the file would
/// see it. The tool must succeed.
public func readPDF(_ pdf: [UInt8], _ tool: [String]) throws -> String {
    let directory = try makeTemporaryDirectory("lms-pdf")
    defer { removeTemporaryDirectory(directory) }
    let path = directory + "/document.pdf"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let written = fd >= 0 && writeAll(fd: fd, pdf)
    close(fd)
    guard written else { throw ProcessFailure("cannot write \(path)") }
    let result = try runCommand(tool + [path] + (tool.first == "pdftotext" ? ["-"] : []))
    guard result.status == 0 else { throw ProcessFailure("\(tool.joined(separator: " ")) exited with status \(result.status)") }
    return String(decoding: result.output, as: UTF8.self)
}

/// Every word pdftotext finds (`-bbox`), with its page and horizontal extent in points from the
/// left edge.
public func pdfWords(_ pdf: [UInt8]) throws -> [(word: String, page: Int, xMin: Double, xMax: Double)] {
    var words: [(word: String, page: Int, xMin: Double, xMax: Double)] = []
    var page = 0
    for line in try readPDF(pdf, ["pdftotext", "-enc", "UTF-8", "-bbox"]).split(separator: "\n") {
        if line.contains("<page ") { page += 1 }
        guard line.contains("<word ") else { continue }
        // <word xMin="80.000000" yMin="..." xMax="..." yMax="...">text</word>
        func attribute(_ name: String) -> Double? {
            guard let part = line.split(separator: " ").first(where: { $0.hasPrefix(name + "=") }) else { return nil }
            return Double(part.dropFirst(name.count + 2).prefix { $0 != "\"" })
        }
        guard let xMin = attribute("xMin"), let xMax = attribute("xMax"), let start = line.firstIndex(of: ">"),
            let end = line.lastIndex(of: "<"), start < end
        else { continue }
        words.append((String(line[line.index(after: start)..<end]), page, xMin, xMax))
    }
    return words
}
