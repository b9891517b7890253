public import CredVendCore
import CredVendSync
import Foundation

/// STS in-process, as an `HTTPClient`. Every request's SigV4 signature is recomputed with
/// the project's own signer from the known source secret, as AWS does, and a mismatch is
/// answered `SignatureDoesNotMatch`; a good AssumeRole gets STS's XML with fresh
/// credentials. Tests can script the next answers and make each call slow.
public final class FakeSTS: HTTPClient {
    /// What to answer once the signature is good.
    public enum Answer: Sendable, Equatable {
        case success
        case throttling
        case serverError(status: Int)
        case accessDenied
        /// HTTP 200 with a body that is not STS's XML.
        case garbage
        /// Another STS error, e.g. `MalformedPolicyDocument` (400) or `NoSuchEntity` (404).
        case refusal(code: String, status: Int)
        /// Credentials that expire this many seconds after the clock's now (negative: already expired).
        case expiringIn(Double)
    }

    /// One AssumeRole request as received, whatever was answered.
    public struct Call: Sendable {
        public let parameters: [String: String]
        public var roleArn: String? { parameters["RoleArn"] }
        public var roleSessionName: String? { parameters["RoleSessionName"] }
        public var policy: String? { parameters["Policy"] }
        /// The error code answered, nil for success.
        public let errorCode: String?
    }

    private struct State {
        var script: [Answer] = []
        var calls: [Call] = []
        var issued: [AWSCredentials] = []
        var issuedRoles: [String: String] = [:]
        var delay: Duration = .zero
        var held = false
    }

    /// The credentials credvend must sign with: only these pass the signature check.
    public let source: AWSCredentials
    public let region: String
    private let clock: any WallClock
    private let state = Locked(State())
    private let signer = SigV4Signer()

    public init(
        source: AWSCredentials = FakeSTS.sourceCredentials,
        region: String = "us-east-1",
        clock: any WallClock = SystemClock()
    ) {
        self.source = source
        self.region = region
        self.clock = clock
    }

    /// Long-lived source keys in AWS's shape, with a distinctive secret to look for in logs.
    public static let sourceCredentials = AWSCredentials(
        accessKeyId: "AKIAFAKESOURCE000001",
        secretAccessKey: "fakeSourceSecret/0123456789abcdefSECRET"
    )

    public var endpoint: String { "https://sts.\(region).amazonaws.com/" }

    /// Requests received so far (refused ones included).
    public var callCount: Int { state.withLock { $0.calls.count } }
    public var calls: [Call] { state.withLock { $0.calls } }
    /// Every credential handed out, so tests can look for their secrets in logs.
    public var issued: [AWSCredentials] { state.withLock { $0.issued } }
    /// The RoleArn each issued access key id was asked for.
    public var issuedRoles: [String: String] { state.withLock { $0.issuedRoles } }

    /// The next answers, in order; once they are used up, `.success`.
    public func script(_ answers: Answer...) { state.withLock { $0.script += answers } }

    /// How long each call takes from now on (the sending thread sleeps).
    public func setDelay(_ delay: Duration) { state.withLock { $0.delay = delay } }

    /// From now on every call waits until `release()` (at most 30 s): an STS as slow as the
    /// test needs, without a sleep whose length a loaded machine could outrun.
    public func hold() { state.withLock { $0.held = true } }
    public func release() { state.withLock { $0.held = false } }

    public func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        let delay = state.withLock { $0.delay }
        if delay > .zero { Thread.sleep(forTimeInterval: delay.inSeconds) }
        let until = Date().addingTimeInterval(30)
        while state.withLock({ $0.held }) && Date() < until { Thread.sleep(forTimeInterval: 0.002) }
        let parameters = FormURLEncoding.parse(request.body)
        let response: STSReply
        if let refusal = SigV4Check(source: source, region: region, signer: signer).problem(
            with: request,
            now: clock.now()
        ) {
            response = refusal
        } else if parameters["Action"] != STSAction.assumeRole.rawValue {
            response = .error(400, "InvalidAction", "Could not find operation \(parameters["Action"] ?? "(none)")")
        } else if parameters["RoleArn"] == nil || parameters["RoleSessionName"] == nil {
            response = .error(400, "MissingParameter", "RoleArn and RoleSessionName are required")
        } else {
            response = answer(nextAnswer(), parameters)
        }
        state.withLock { $0.calls.append(Call(parameters: parameters, errorCode: response.code)) }
        return response.http
    }

    private func nextAnswer() -> Answer {
        state.withLock { s in s.script.isEmpty ? .success : s.script.removeFirst() }
    }

    private func answer(_ answer: Answer, _ parameters: [String: String]) -> STSReply {
        switch answer {
        case .throttling: return .error(400, "Throttling", "Rate exceeded")
        case .serverError(let status):
            return .error(status, "ServiceUnavailable", "Service is unavailable", type: "Receiver")
        case .accessDenied:
            return .error(
                403,
                "AccessDenied",
                "User is not authorized to perform: sts:AssumeRole on resource: \(parameters["RoleArn"] ?? "")"
            )
        case .garbage: return STSReply(status: 200, body: "<html><body>captive portal</body></html>", code: "garbage")
        case .refusal(let code, let status): return .error(status, code, "refused by the test's script")
        case .expiringIn(let seconds): return issue(parameters, lifetime: seconds)
        case .success: return issue(parameters, lifetime: Double(Int(parameters["DurationSeconds"] ?? "") ?? 3600))
        }
    }

    private func issue(_ parameters: [String: String], lifetime: TimeInterval) -> STSReply {
        let credentials = AWSCredentials(
            accessKeyId: "ASIAFAKE" + Self.randomHex(6).uppercased(),
            secretAccessKey: "fakeIssuedSecret" + Self.randomHex(12),
            sessionToken: "FwoGZXIvYXdzEFakeSession" + Self.randomHex(48),
            expiration: Date(timeIntervalSince1970: (clock.now().timeIntervalSince1970 + lifetime).rounded(.down))
        )
        state.withLock {
            $0.issued.append(credentials)
            $0.issuedRoles[credentials.accessKeyId] = parameters["RoleArn"]
        }
        return .success(credentials, roleArn: parameters["RoleArn"] ?? "", session: parameters["RoleSessionName"] ?? "")
    }

    private static func randomHex(_ bytes: Int) -> String {
        String((0..<bytes * 2).map { _ in "0123456789abcdef".randomElement()! })
    }
}
