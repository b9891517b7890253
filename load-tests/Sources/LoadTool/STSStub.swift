import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Synchronization

/// A local STS for load runs that answers AssumeRole with credentials of realistic sizes
/// (AccessKeyId 20, SecretAccessKey 40, SessionToken 800 characters). It checks no
/// signature; `load-tests/run --sts moto` uses moto_server, which does.
///
/// By default it answers at once, so that STS latency is not what is measured. For the
/// fleet scenarios it can behave like the real one: `latency` (± `jitter`, uniform) before
/// each answer, without holding a worker thread (the answer is deferred), and a token bucket
/// of `rate` calls per second (`burst` deep) beyond which a call gets STS's `Throttling`
/// answer (HTTP 400 with its error XML). `GET /stats` answers its counts per wall-clock
/// second, which the storm scenario's timeline reads.
final class STSStub: HTTPHandler {
    struct Behaviour: Sendable {
        var latency: Double = 0
        var jitter: Double = 0
        /// Calls per second the bucket refills by; 0: no limit.
        var rate: Double = 0
        var burst: Double = 0
    }

    private let counter = Atomic<Int>(0)
    private let behaviour: Behaviour
    private let bucket: Locked<(tokens: Double, at: UInt64)>
    private let stats = Locked<[Int: STSSecond]>([:])
    private let seed = Locked<UInt64>(0x9E37_79B9_7F4A_7C15)

    init(_ behaviour: Behaviour = Behaviour()) {
        self.behaviour = behaviour
        bucket = Locked((max(1, behaviour.burst), monotonicNanos()))
    }

    func handle(_ request: HTTPRequest) -> HandlerResult {
        if request.method == "GET" && request.path == "/stats" { return .respond(statsResponse()) }
        guard request.method == "POST" else { return .respond(HTTPResponse(status: 405)) }
        let form = QueryString.parse(String(decoding: request.body, as: UTF8.self))
        let value = { (name: String) in form.first { $0.name == name }?.value }
        guard value("Action") == "AssumeRole", let arn = value("RoleArn") else {
            return .respond(
                HTTPResponse(
                    status: 400,
                    body: Array("<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>".utf8)
                )
            )
        }
        let admitted = take()
        let second = Int(Date().timeIntervalSince1970)
        stats.withLock { s in
            s[second, default: STSSecond()].calls += 1
            if !admitted { s[second, default: STSSecond()].throttled += 1 }
        }
        let response = admitted ? credentials(arn: arn, form: value) : Self.throttling()
        let delay = delaySeconds()
        guard delay > 0 else { return .respond(response) }
        return .deferred { responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { responder.respond(response) }
        }
    }

    /// One call's worth from the bucket, if there is one.
    private func take() -> Bool {
        guard behaviour.rate > 0 else { return true }
        let now = monotonicNanos()
        return bucket.withLock { b in
            let refill = Double(now &- b.at) / 1e9 * behaviour.rate
            b = (min(max(1, behaviour.burst), b.tokens + refill), now)
            guard b.tokens >= 1 else { return false }
            b.tokens -= 1
            return true
        }
    }

    private func delaySeconds() -> Double {
        guard behaviour.latency > 0 else { return 0 }
        let u = seed.withLock { s -> Double in  // xorshift64: cheap, and no lock on the system RNG
            s ^= s << 13
            s ^= s >> 7
            s ^= s << 17
            return Double(s >> 11) / Double(1 << 53)
        }
        return max(0, behaviour.latency + (u * 2 - 1) * behaviour.jitter)
    }

    /// STS's answer beyond its request quota: HTTP 400, `Throttling`, Sender's fault.
    static func throttling() -> HTTPResponse {
        let xml =
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
            + "<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
            + "<RequestId>load-throttled</RequestId></ErrorResponse>"
        return HTTPResponse(status: 400, headers: ["Content-Type": "text/xml"], body: Array(xml.utf8))
    }

    private func credentials(arn: String, form value: (String) -> String?) -> HTTPResponse {
        let n = counter.add(1, ordering: .relaxed).newValue
        let duration = Int(value("DurationSeconds") ?? "3600") ?? 3600
        let expiration = ISO8601.string(Date().addingTimeInterval(TimeInterval(duration)))
        let serial = String(n, radix: 16).uppercased()
        let key = "ASIA" + String(repeating: "0", count: max(0, 16 - serial.count)) + serial
        let secret = String(repeating: "s", count: 40 - serial.count) + serial
        let token = "IQoJb3JpZ2luX2VjE" + String(repeating: "A", count: 800 - 17 - serial.count) + serial
        let session = value("RoleSessionName") ?? "credvend"
        let xml =
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
            + "<AssumedRoleUser><Arn>\(arn.replacingOccurrences(of: ":role/", with: ":assumed-role/"))/\(session)</Arn>"
            + "<AssumedRoleId>AROALOADTEST:\(session)</AssumedRoleId></AssumedRoleUser>"
            + "<Credentials><AccessKeyId>\(key)</AccessKeyId><SecretAccessKey>\(secret)</SecretAccessKey>"
            + "<SessionToken>\(token)</SessionToken><Expiration>\(expiration)</Expiration></Credentials>"
            + "</AssumeRoleResult><ResponseMetadata><RequestId>load-\(n)</RequestId></ResponseMetadata></AssumeRoleResponse>"
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Array(xml.utf8))
    }

    /// `{"seconds": [[unix second, calls, throttled], ...], "calls": N, "throttled": N}`.
    private func statsResponse() -> HTTPResponse {
        let s = stats.withLock { $0 }
        let rows = s.keys.sorted().map { "[\($0), \(s[$0]!.calls), \(s[$0]!.throttled)]" }
        let calls = s.values.reduce(0) { $0 + $1.calls }
        let throttled = s.values.reduce(0) { $0 + $1.throttled }
        let json = "{\"seconds\": [\(rows.joined(separator: ", "))], \"calls\": \(calls), \"throttled\": \(throttled)}"
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(json.utf8))
    }
}

/// One wall-clock second of the stub's AssumeRole calls.
struct STSSecond: Sendable {
    var calls = 0
    var throttled = 0
}
