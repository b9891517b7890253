import Foundation
import Synchronization
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct UtilTests {
    @Test func formDecoding() {
        let f = FormURLEncoding.parse(Array("grant_type=client_credentials&scope=a%2Fb+c&empty=&x".utf8))
        #expect(f["grant_type"] == "client_credentials")
        #expect(f["scope"] == "a/b c")
        #expect(f["empty"] == "" && f["x"] == "")
        #expect(FormURLEncoding.decode(ArraySlice("%zz".utf8)) == nil)
        #expect(FormURLEncoding.decode(ArraySlice("%4".utf8)) == nil)
    }

    @Test func jsonQuoteEscapes() {
        #expect(JSONText.quote("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func logRingKeepsTheNewest() {
        let ring = LogRing(capacity: 3)
        for i in 1...5 { ring.append("line \(i)") }
        #expect(ring.latest(10) == ["line 3", "line 4", "line 5"])
        #expect(ring.latest(2) == ["line 4", "line 5"])
        #expect(ring.latest(0) == [])
    }

    @Test func logRingKeepsTheLogHandlersBytesWithoutTheNewline() {
        let ring = LogRing(capacity: 2)
        ring.append(utf8: Array("one\n".utf8))
        ring.append(utf8: Array("two".utf8))
        ring.append(utf8: Array("three\n\n".utf8))
        #expect(ring.latest(2) == ["two", "three\n"])
    }

    /// Each caller on a thread of its own (`blocking`: blocking callers in the pool itself
    /// share its two threads on a 2-core machine, and under load ran one after another), and
    /// the flight's work lasts until every caller has started and had time to join.
    @Test func singleFlightRunsOnceForConcurrentCallers() async throws {
        let flight = SingleFlight<String, Int, Never>()
        let runs = Counter()
        let started = Counter()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await blocking {
                        started.increment()
                        return flight.runBlocking("k") {
                            runs.increment()
                            _ = waitUntil(timeout: 10) { started.current == 8 }
                            usleep(200_000)
                            return .success(42)
                        }.get()
                    }
                }
            }
            for try await v in group { #expect(v == 42) }
        }
        #expect(runs.current < 8)
    }

    @Test func metricsRender() {
        let m = ServerMetrics()
        m.recordRequest(route: "/v1/credentials", status: 200, seconds: 0.0003)
        m.recordRequest(route: "/nope", status: 418, seconds: 2)
        m.stsCalls.increment("success")
        let text = m.render()
        #expect(text.contains(#"credvend_http_requests_total{route="/v1/credentials",status="200"} 1"#))
        #expect(text.contains(#"credvend_http_requests_total{route="other",status="other"} 1"#))
        #expect(text.contains(#"credvend_http_request_duration_seconds_bucket{le="0.0005"} 1"#))
        #expect(text.contains(#"credvend_http_request_duration_seconds_count 2"#))
        #expect(text.contains(#"credvend_sts_calls_total{outcome="success"} 1"#))
    }
}

@Suite struct AccessLogLineTests {
    @Test func fieldsInTheLineHandlersSortedOrder() {
        #expect(
            AccessLogLine.message(
                method: "POST",
                path: "/v1/credentials",
                status: 403,
                micros: 120,
                remote: "127.0.0.1:5000",
                requestId: "ab-1",
                clientId: "c1",
                tokenFingerprint: "0123456789ab",
                errorCode: "access_denied"
            )
                == "request client_id=c1 error=access_denied method=POST path=/v1/credentials remote=127.0.0.1:5000"
                + " request_id=ab-1 status=403 token_sha256=0123456789ab us=120"
        )
        #expect(
            AccessLogLine.message(
                method: "GET",
                path: "/healthz",
                status: 200,
                micros: 7,
                remote: "unix",
                requestId: "ab-2",
                clientId: nil,
                tokenFingerprint: nil,
                errorCode: nil
            )
                == "request method=GET path=/healthz remote=unix request_id=ab-2 status=200 us=7"
        )
    }
}
