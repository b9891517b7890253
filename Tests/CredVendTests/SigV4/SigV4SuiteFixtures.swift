import Foundation

@testable import CredVendCore

/// A raw HTTP/1.1 request as the AWS SigV4 test suite writes it (`.req`, `.sreq`).
/// The suite's request lines are not valid HTTP: the target may hold raw spaces
/// and raw UTF-8, so the target is everything between the first and last space.
struct RawHTTPRequest {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// A continuation line (one starting with a space or tab) is taken as one
    /// more value of the header before it: the suite's `get-header-value-multiline`
    /// expects `value1,value2,value3`, i.e. the folded lines joined like repeated
    /// fields, not one value with collapsed whitespace.
    init(parsing bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        let head: Substring
        let body: Substring
        if let split = text.range(of: "\n\n") {
            head = text[..<split.lowerBound]
            body = text[split.upperBound...]
        } else {
            head = text[...]
            body = ""
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard !lines.isEmpty else { throw ParseError(description: "empty request") }
        let requestLine = lines.removeFirst()
        guard let firstSpace = requestLine.firstIndex(of: " "), let lastSpace = requestLine.lastIndex(of: " "),
            firstSpace < lastSpace, requestLine[requestLine.index(after: lastSpace)...].hasPrefix("HTTP/")
        else { throw ParseError(description: "bad request line: \(requestLine)") }
        method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<lastSpace]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = target[target.index(after: question)...].split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String { String(s).removingPercentEncoding ?? String(s) }
                return (name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
            }
        } else {
            path = String(target)
            query = []
        }
        headers = []
        for line in lines {
            if line.first == " " || line.first == "\t" {
                guard let previous = headers.last else { throw ParseError(description: "continuation first") }
                headers.append((name: previous.name, value: String(line)))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw ParseError(description: "bad header: \(line)") }
            headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
        }
        self.body = Array(body.utf8)
    }

    func values(of name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map {
            $0.value.trimmingCharacters(in: .whitespaces)
        }
    }
}

/// The AWS SigV4 test suite, copied into the test bundle
/// (Fixtures/aws-sigv4-test-suite, with its LICENSE and NOTICE). One case per
/// folder holding `<folder>.req`, named by its path under the suite root, so
/// `post-sts-token/post-sts-header-before` and `normalize-path/get-slash` are
/// cases too.
enum SigV4Suite {
    /// The suite's fixed inputs (its `.authz` files show the access key id,
    /// date, region and service; the secret is the documented example key).
    static let credentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    static let amzDate = "20150830T123600Z"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let region = "us-east-1"
    static let service = "service"

    static var root: URL? {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
            .appendingPathComponent("aws-sigv4-test-suite/aws-sig-v4-test-suite", isDirectory: true)
    }

    /// Sorted case names; empty if the fixtures are missing (a separate test
    /// checks the count, so an empty list cannot pass silently).
    static let caseNames: [String] = {
        guard let root, let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var names: [String] = []
        while let relative = walker.nextObject() as? String {
            let folder = (relative as NSString).deletingLastPathComponent
            if !folder.isEmpty,
                (relative as NSString).lastPathComponent == "\((folder as NSString).lastPathComponent).req"
            {
                names.append(folder)
            }
        }
        return names.sorted()
    }()

    struct Case {
        let name: String
        let request: RawHTTPRequest
        let signedRequest: RawHTTPRequest
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String
    }

    static func load(_ name: String) throws -> Case {
        guard let root else { throw RawHTTPRequest.ParseError(description: "no fixtures in the test bundle") }
        let leaf = (name as NSString).lastPathComponent
        func bytes(_ ext: String) throws -> [UInt8] {
            let url = root.appendingPathComponent(name).appendingPathComponent("\(leaf).\(ext)")
            return Array(try Data(contentsOf: url))
        }
        func text(_ ext: String) throws -> String { String(decoding: try bytes(ext), as: UTF8.self) }
        return Case(
            name: name,
            request: try RawHTTPRequest(parsing: bytes("req")),
            signedRequest: try RawHTTPRequest(parsing: bytes("sreq")),
            canonicalRequest: try text("creq"),
            stringToSign: try text("sts"),
            authorization: try text("authz")
        )
    }
}
