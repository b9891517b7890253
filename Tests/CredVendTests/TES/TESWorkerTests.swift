import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let now: Locked<Date>
    init(_ start: Date) { now = Locked(start) }
    func read() -> Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A provider that answers from a script, one entry per request.
final class ScriptedProvider: Sendable {
    private let script: Locked<[Result<AWSCredentials, IoTCredentialError>]>
    init(_ script: [Result<AWSCredentials, IoTCredentialError>]) { self.script = Locked(script) }
    func fetch() -> Result<AWSCredentials, IoTCredentialError> {
        script.withLock { $0.isEmpty ? .failure(IoTCredentialError(.network, "script exhausted")) : $0.removeFirst() }
    }
}

@Suite struct TESWorkerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func creds(_ id: String, expiresAt date: Date) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: id,
            secretAccessKey: "SECRET-\(id)-do-not-log",
            sessionToken: "SESSION-\(id)-do-not-log",
            expiration: date
        )
    }

    @Test func refreshesServesAndLogsWithoutSecrets() {
        let clock = ManualClock(t0)
        let ring = LogRing()
        let logger = Logger(label: "test.tes") { LineLogHandler(label: $0, ring: ring) }
        let a = creds("ASIAFIRST", expiresAt: t0.addingTimeInterval(6))
        let b = creds("ASIASECOND", expiresAt: t0.addingTimeInterval(9))
        let down = IoTCredentialError(.network, "the credential provider at https://x is unreachable: refused")
        let provider = ScriptedProvider([.success(a), .failure(down), .success(b)])
        let worker = TESWorker(
            policy: TESRefreshPolicy(refreshBuffer: 3),
            logger: logger,
            clock: { clock.read() },
            unitRandom: { 0 },
            fetch: { provider.fetch() }
        )

        guard case .unavailable = worker.serving() else {
            Issue.record("served before any fetch")
            return
        }
        #expect(worker.step() == 3)
        #expect(worker.serving() == .credentials(a))
        clock.advance(3)
        #expect(worker.step() == 1)  // provider down: retry soon, keep serving a
        #expect(worker.serving() == .credentials(a))
        clock.advance(3.5)  // a has expired
        guard case .unavailable(let reason) = worker.serving() else {
            Issue.record("expired credentials served")
            return
        }
        #expect(reason.contains("unreachable"))
        #expect(worker.step() == 1.25)  // b lives 2.5 s more: refreshed at half of that
        #expect(worker.serving() == .credentials(b))
        #expect(worker.snapshot.refreshes == 2)

        let lines = ring.latest(100)
        #expect(lines.filter { $0.contains("credentials refreshed") }.count == 2)
        #expect(
            lines.contains {
                $0.contains("credentials refreshed") && $0.contains("expiration=\(ISO8601.string(a.expiration!))")
            }
        )
        #expect(
            lines.contains {
                $0.contains("WARNING") && $0.contains("credential refresh failed")
                    && $0.contains("serving=\"previous credentials")
            }
        )
        for line in lines {
            #expect(!line.contains("do-not-log"), "secret in log: \(line)")
        }
    }

    @Test func refusalsAreLoggedAsErrors() {
        let ring = LogRing()
        let logger = Logger(label: "test.tes") { LineLogHandler(label: $0, ring: ring) }
        let provider = ScriptedProvider([
            .failure(IoTCredentialError(.notFound, httpStatus: 404, "role alias x not found"))
        ])
        let worker = TESWorker(
            policy: TESRefreshPolicy(refreshBuffer: 900),
            logger: logger,
            clock: { t0 },
            unitRandom: { 1 },
            fetch: { provider.fetch() }
        )
        #expect(worker.step() == 5)
        let line = ring.latest(1).first ?? ""
        #expect(line.contains("ERROR") && line.contains("role alias x not found"))
        #expect(
            line.contains("status=404") && line.contains("serving=\"nothing (503)\"") && line.contains("retry_in=5.0s")
        )
    }

    @Test func warnsWhenCredentialsLiveLessThanTheBuffer() {
        let ring = LogRing()
        let logger = Logger(label: "test.tes") { LineLogHandler(label: $0, ring: ring) }
        let provider = ScriptedProvider([.success(creds("A", expiresAt: t0.addingTimeInterval(900)))])
        let worker = TESWorker(
            policy: TESRefreshPolicy(refreshBuffer: 900),
            logger: logger,
            clock: { t0 },
            unitRandom: { 0 },
            fetch: { provider.fetch() }
        )
        #expect(worker.step() == 450)
        #expect(ring.latest(1).first?.contains("credentialDurationSeconds") == true)
    }
}
