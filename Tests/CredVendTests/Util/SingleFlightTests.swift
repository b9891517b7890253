import CredVendSync
import Testing

@testable import CredVend

/// `SingleFlight`'s sharding keeps its rule: one flight per equal key, never one for two keys.
@Suite struct SingleFlightTests {
    /// Every value hashes alike, so all of them meet in one shard and one bucket.
    private struct Colliding: Hashable, Sendable {
        let name: String
        func hash(into hasher: inout Hasher) { hasher.combine(0) }
    }

    @Test func keysWithTheSameHashAreSeparateFlights() {
        let flight = SingleFlight<Colliding, String, Never>(shardCount: 4)
        let inner = Locked<String?>(nil)
        let outer = Locked<String?>(nil)
        flight.run(
            Colliding(name: "a"),
            work: {
                #expect(flight.isRunning(Colliding(name: "a")))
                #expect(!flight.isRunning(Colliding(name: "b")))
                // Run on this thread at once: "b" is no follower of "a"'s flight.
                flight.run(
                    Colliding(name: "b"),
                    work: { .success("b") },
                    completion: { r in inner.withLock { $0 = r.get() } }
                )
                return .success("a")
            },
            completion: { r in outer.withLock { $0 = r.get() } }
        )
        #expect(inner.withLock { $0 } == "b")
        #expect(outer.withLock { $0 } == "a")
        #expect(!flight.isRunning(Colliding(name: "a")))
    }

    @Test func aCallerOfARunningFlightGetsItsResultWhateverTheShardCount() {
        for shards in [1, 3, 64] {
            let flight = SingleFlight<String, Int, Never>(shardCount: shards)
            let follower = Locked<Int?>(nil)
            let runs = Locked(0)
            flight.run(
                "k",
                work: {
                    runs.withLock { $0 += 1 }
                    flight.run(
                        "k",
                        work: {
                            runs.withLock { $0 += 1 }
                            return .success(-1)
                        },
                        completion: { r in follower.withLock { $0 = r.get() } }
                    )
                    #expect(follower.withLock { $0 } == nil, "queued behind the running flight")
                    return .success(7)
                },
                completion: { _ in }
            )
            #expect(follower.withLock { $0 } == 7)
            #expect(runs.withLock { $0 } == 1)
        }
    }

    /// Flights of one shard ending in another order than they began: each ends its own,
    /// and its callers (the leader and those who joined) get its result, no other's.
    @Test func flightsOfOneShardEndInAnyOrderEachWithItsOwnCallers() {
        let flight = SingleFlight<String, String, Never>(shardCount: 1)
        let keys = ["a", "b", "c", "d", "e"]
        let finishes = Locked<[String: @Sendable (Result<String, Never>) -> Void]>([:])
        let results = Locked<[String: [String]]>([:])
        for key in keys + ["c", "a"] {
            flight.start(
                key,
                work: { finish in finishes.withLock { $0[key] = finish } },
                completion: { r in results.withLock { $0[key, default: []].append(r.get()) } }
            )
        }
        for key in ["c", "e", "a", "d", "b"] {
            #expect(flight.isRunning(key))
            finishes.withLock { $0[key]! }(.success("result of " + key))
            #expect(!flight.isRunning(key))
        }
        let seen = results.withLock { $0 }
        for key in keys {
            let callers = key == "a" || key == "c" ? 2 : 1
            #expect(seen[key] == Array(repeating: "result of " + key, count: callers))
        }
    }
}
