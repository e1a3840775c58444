import CertificateCodes
import CertificatePDF
import Core
import PDFWriter
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The certificate PDF read back with poppler (pdftotext, pdffonts, pdftoppm) and zbar
/// (zbarimg), as a person and a phone would read it.
@Suite struct CertificateDocumentTests {
    static let names = [
        "José Müller", "Zoë Ødegaard", "Nguyễn Thị Minh Khai", "Łukasz Żółć", "Ελένη", "Иван",
    ]

    func content(name: String, title: String = "Swift on Linux: Servers", code: String = "7KQ2-M9XD-4TBW-H1RZ") -> CertificateContent {
        CertificateContent(
            platformName: "LMS Academy", learnerName: name, courseTitle: title, instructorName: "Ada Lovelace",
            completedOn: CertificateRenderer.displayDate("2026-11-30T12:00:00Z"), code: code,
            verificationURL: "https://app.example.test/certificates/\(code)")
    }

    @Test(arguments: names)
    func namesInEveryScriptComeBackAsText(name: String) throws {
        let pdf = try CertificateRenderer().render(content(name: name))
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let text = try readPDF(pdf, ["pdftotext", "-enc", "UTF-8"])
        #expect(text.contains(name))
        #expect(text.contains("Swift on Linux: Servers"))
        #expect(text.contains("7KQ2-M9XD-4TBW-H1RZ"))
        #expect(text.contains("Ada Lovelace"))
        #expect(text.contains("30 November 2026"))
        #expect(text.contains("LMS Academy"))
    }

    @Test func theFontIsEmbeddedAsASubsetAndThePageIsLandscape() throws {
        let pdf = try CertificateRenderer().render(content(name: "Zoë Ødegaard"))
        let fonts = try readPDF(pdf, ["pdffonts"])
        let line = try #require(fonts.split(separator: "\n").first { $0.contains("DejaVuSans") })
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        // name, type (2 words), encoding, emb, sub, uni, object, generation
        #expect(columns.suffix(5).prefix(2) == ["yes", "yes"])
        let info = try readPDF(pdf, ["pdfinfo"])
        #expect(info.split(separator: "\n").contains { $0.hasPrefix("Pages:") && $0.hasSuffix(" 1") })
        #expect(info.contains("841.89 x 595.276 pts"))  // A4 landscape
        #expect(pdf.count < 100 * 1024)
    }

    @Test func theQRCodeDecodesToTheVerificationURL() throws {
        let pdf = try CertificateRenderer().render(content(name: "Ελένη", code: "ABCD-EFGH-JKMN-PQRS"))
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/certificate.pdf"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(writeAll(fd: fd, pdf))
        close(fd)
        #expect(try runCommand(["pdftoppm", "-r", "100", "-png", "-singlefile", path, directory + "/page"]).status == 0)
        let decoded = try runCommand(["zbarimg", "--quiet", "--raw", directory + "/page.png"])
        #expect(decoded.status == 0)
        #expect(String(decoding: decoded.output, as: UTF8.self).trimmed() == "https://app.example.test/certificates/ABCD-EFGH-JKMN-PQRS")
    }

    @Test func longNamesShrinkToFitInsteadOfOverflowing() throws {
        let long = String(repeating: "Maximilian Alexander Wolfgang ", count: 3) + "von Hohenzollern-Sigmaringen"
        let pdf = try CertificateRenderer().render(content(name: long, title: String(repeating: "Advanced Topics ", count: 7)))
        // -bbox gives every word's box: none may pass the page's printable width (margins 80 pt).
        let words = try pdfWords(pdf)
        for word in words {
            #expect(word.xMin >= 79 && word.xMax <= 842 - 79, "\(word)")
        }
        #expect(words.count > 20)
        let text = try readPDF(pdf, ["pdftotext", "-enc", "UTF-8", "-nopgbrk"])
        #expect(text.contains("von Hohenzollern-Sigmaringen"))
    }

    /// The fast font (infra/scripts/lib.sh makes it from Debian's DejaVu Sans) for names in its
    /// scripts, the whole font for any other: an Armenian name still prints.
    @Test func theSubsetFontServesItsScriptsAndTheWholeFontTheRest() throws {
        let subset = TestEnvironment.root + "/.deps/fonts/DejaVuSans-certificate.ttf"
        guard access(subset, R_OK) == 0 else { return }  // made by infra/test.sh; absent in a bare `swift test`
        let renderer = CertificateRenderer(subsetFontPath: subset)
        for name in Self.names {
            #expect(renderer.font(for: content(name: name)) == subset, "\(name)")
            #expect(try readPDF(try renderer.render(content(name: name)), ["pdftotext", "-enc", "UTF-8"]).contains(name))
        }
        let armenian = content(name: "Արամ Խաչատրյան")
        #expect(renderer.font(for: armenian) == CertificateRenderer.defaultFont)
        #expect(try readPDF(try renderer.render(armenian), ["pdftotext", "-enc", "UTF-8"]).contains("Արամ Խաչատրյան"))
        let small = try renderer.render(content(name: "Zoë Ødegaard"))
        #expect(small.count < 60 * 1024)
    }

    @Test func aMissingFontIsAnErrorNotACrash() throws {
        #expect(throws: RenderError.self) {
            try CertificateRenderer(fontPath: "/nonexistent/font.ttf").render(content(name: "Иван"))
        }
    }

    @Test func codesAreRandomTypeableAndForgiving() throws {
        var seen = Set<String>()
        for _ in 0..<2000 {
            let code = CertificateCode.generate()
            #expect(code.utf8.count == 19)
            #expect(CertificateCode.normalize(code) == code)
            seen.insert(code)
        }
        #expect(seen.count == 2000)
        #expect(CertificateCode.normalize("abcd efgh jkmn pqrs") == "ABCD-EFGH-JKMN-PQRS")
        #expect(CertificateCode.normalize("0OIL-1111-2222-3333") == "0011-1111-2222-3333")
        #expect(CertificateCode.normalize("ABCD-EFGH-JKMN-PQRU") == nil)  // U is not in the alphabet
        #expect(CertificateCode.normalize("ABCD-EFGH-JKMN") == nil)
        #expect(CertificateCode.normalize("../../etc/passwd") == nil)
        #expect(CertificateCode.normalize(String(repeating: "A", count: 400)) == nil)
    }
}
