import Testing

@testable import CredVendCore

@Suite struct RetryAfterTests {
    func answer(_ status: Int, _ value: String?) -> HTTPClientResponse {
        var headers = HTTPHeaders()
        if let value { headers.add("retry-after", value) }
        return HTTPClientResponse(status: status, headers: headers)
    }

    @Test func readFromA503OrA429Only() {
        #expect(RetryAfter.seconds(answer(503, "7")) == 7)
        #expect(RetryAfter.seconds(answer(429, " 3 ")) == 3)
        #expect(RetryAfter.seconds(answer(502, "7")) == nil)
        #expect(RetryAfter.seconds(answer(503, "Wed, 21 Oct 2015 07:28:00 GMT")) == nil)
        #expect(RetryAfter.seconds(answer(503, "600")) == 60)
    }

    @Test func waitIsAtLeastTheAskedTimeSpreadUpToHalfAgain() {
        #expect(RetryAfter.wait(asked: 4, backoff: .milliseconds(100), unitRandom: 0) == .seconds(4))
        #expect(RetryAfter.wait(asked: 4, backoff: .milliseconds(100), unitRandom: 0.5) == .seconds(5))
        #expect(RetryAfter.wait(asked: 4, backoff: .milliseconds(100), unitRandom: 0.999) < .seconds(6))
        #expect(RetryAfter.wait(asked: 1, backoff: .zero, unitRandom: 0.5) == .milliseconds(1250))
    }

    @Test func neverShorterThanTheBackoffNorLongerThanTheCap() {
        #expect(RetryAfter.wait(asked: nil, backoff: .milliseconds(300), unitRandom: 0.5) == .milliseconds(300))
        #expect(RetryAfter.wait(asked: 0, backoff: .milliseconds(300), unitRandom: 0.5) == .milliseconds(300))
        #expect(RetryAfter.wait(asked: 50, backoff: .zero, unitRandom: 0.9) == .seconds(60))
        #expect(RetryAfter.wait(asked: 600, backoff: .zero, unitRandom: 0) == .seconds(60))
    }
}
