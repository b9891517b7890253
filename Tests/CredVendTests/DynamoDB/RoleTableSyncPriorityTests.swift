import CredVendStore
import CredVendTesting
import Foundation
import Synchronization
import Testing

@testable import CredVend
@testable import CredVendCore

/// Once a snapshot is loaded the periodic sync runs at background priority: its seconds of
/// CPU on a large table must not delay the request threads (docs/replicas.md#scale). The
/// first, which readiness waits for, does not.
@Suite struct RoleTableSyncPriorityTests {
    @Test func refreshesSyncAtBackgroundPriorityOnTheirOwnThread() throws {
        let table = FakeDynamoDB(pageSize: 2)
        for id in ["c01", "c02", "c03"] { table.put(FakeDynamoDB.seedItem(id)) }
        let client = NiceRecordingClient(table)
        let directory = TempDir()
        let store = try RoleStore(directory: directory.sub("db"))
        let logs = LogCapture()
        let clock = FixedClock()
        let sync = RoleTableSync(
            settings: RoleTableConfiguration(table: "client_roles"),
            store: store,
            dynamo: try DynamoDBClient(
                endpoint: table.endpoint,
                region: "us-east-1",
                client: client,
                logger: logs.logger()
            ),
            credentials: { FakeSTS.sourceCredentials },
            cache: CredentialCache(refreshBuffer: 900, clock: clock),
            metrics: RoleSyncMetrics(clock: clock),
            logger: logs.logger()
        )
        let callerNice = threadNice()
        // Each step on a thread of its own, as PeriodicService runs them: a nice value stays with it.
        func step() {
            let done = DispatchSemaphore(value: 0)
            Thread {
                _ = sync.backgroundStep()
                done.signal()
            }.start()
            #expect(done.wait(timeout: .now() + 30) == .success)
        }
        step()
        #expect(try store.count == 3)
        step()
        let nices = client.nices.withLock { $0 }
        #expect(nices.count == 4, "two steps, two pages each (3 items, 2 a page)")
        #expect(Array(nices.prefix(2)) == [callerNice, callerNice], "the first sync, with nothing loaded yet")
        #expect(Array(nices.suffix(2)) == [10, 10], "a refresh: nice 10")
        #expect(threadNice() == callerNice, "the calling thread keeps its priority")
    }
}

/// Notes the nice value of the thread each request is sent from, then lets the table answer.
private final class NiceRecordingClient: HTTPClient {
    let table: FakeDynamoDB
    let nices = Mutex<[Int]>([])

    init(_ table: FakeDynamoDB) { self.table = table }

    func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        let nice = threadNice()
        nices.withLock { $0.append(nice) }
        return try table.send(request)
    }
}

/// The calling thread's nice value: field 19 of /proc/thread-self/stat (proc(5)), counted
/// after the ")" that ends the command name; -99 when it cannot be read.
private func threadNice() -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return -99 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 16 ? Int(fields[16]) ?? -99 : -99
}
