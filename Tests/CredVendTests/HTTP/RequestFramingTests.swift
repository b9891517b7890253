import Testing

@testable import CredVendCore

@Suite struct RequestFramingTests {
    private func problem(_ fields: [(String, String)], version: String = "HTTP/1.1", target: String = "/") -> String? {
        RequestFraming.problem(version: version, target: target, headers: HTTPHeaders(fields))
    }

    @Test func wellFramedHeadsPass() {
        #expect(problem([("Host", "h")]) == nil)
        #expect(problem([("Host", "h"), ("Content-Length", "12")]) == nil)
        #expect(problem([("Host", "h"), ("Transfer-Encoding", "chunked")]) == nil)
        #expect(problem([("host", "h"), ("transfer-encoding", " Chunked ")]) == nil)
        // the same value twice
        #expect(problem([("Host", "h"), ("Content-Length", "5"), ("Content-Length", "5")]) == nil)
        #expect(problem([("Host", "h"), ("Content-Length", "5"), ("Content-Length", " 5,5 ")]) == nil)
        #expect(problem([], version: "HTTP/1.0") == nil)  // HTTP/1.0 needs no Host
        #expect(problem([("Host", "h")], target: "/v1/credentials?x=%20y") == nil)
    }

    @Test func ambiguousBodyLengthsAreRefused() {
        #expect(problem([("Host", "h"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")]) != nil)
        #expect(problem([("Host", "h"), ("Transfer-Encoding", "chunked"), ("content-length", "5")]) != nil)
        #expect(problem([("Host", "h"), ("Content-Length", "5"), ("Content-Length", "6")]) != nil)
        #expect(problem([("Host", "h"), ("Content-Length", "5, 6")]) != nil)
        #expect(problem([("Host", "h"), ("Content-Length", "-1")]) != nil)
        #expect(problem([("Host", "h"), ("Content-Length", "")]) != nil)
        #expect(problem([("Host", "h"), ("Transfer-Encoding", "gzip, chunked")]) != nil)
        #expect(problem([("Host", "h"), ("Transfer-Encoding", "identity")]) != nil)
        #expect(problem([("Host", "h"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]) != nil)
        #expect(problem([("Transfer-Encoding", "chunked")], version: "HTTP/1.0") != nil)
    }

    @Test func malformedNamesHostsAndTargetsAreRefused() {
        #expect(problem([("Host", "h"), ("Content-Length ", "5")]) != nil)  // "Content-Length : 5"
        #expect(problem([("Host", "h"), ("Content-Length\t", "5")]) != nil)
        #expect(problem([("Host", "h"), ("Bad@Name", "x")]) != nil)
        #expect(problem([]) != nil)  // HTTP/1.1 without Host
        #expect(problem([("Host", "a"), ("Host", "b")]) != nil)
        #expect(problem([("Host", "h")], target: "/a b") != nil)
        #expect(problem([("Host", "h")], target: "/a\u{7F}") != nil)
    }

    @Test func declaredLength() {
        #expect(RequestFraming.declaredLength(HTTPHeaders([("Content-Length", "100000")])) == 100000)
        #expect(RequestFraming.declaredLength(HTTPHeaders([("Transfer-Encoding", "chunked")])) == nil)
        #expect(RequestFraming.declaredLength(HTTPHeaders([("Content-Length", "99999999999999999999999")])) == Int.max)
    }
}
