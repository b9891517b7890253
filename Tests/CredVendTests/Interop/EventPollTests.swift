import Glibc
import Testing

@testable import CredVendSystem

/// EventPoll keeps its own record of what the kernel watches, so each change is one
/// epoll_ctl: the record must follow watch, forget and re-watch, and stay right when a
/// socket's number is reused.
@Suite struct EventPollTests {
    /// A pipe: its read end is the socket watched, its write end makes it readable.
    private struct Pipe {
        let read: Int32
        let write: Int32

        init() throws {
            var fds: [Int32] = [-1, -1]
            try #require(pipe(&fds) == 0)
            (read, write) = (fds[0], fds[1])
        }

        func makeReadable() throws { try #require(Glibc.write(write, "x", 1) == 1) }

        func close() {
            _ = Glibc.close(read)
            _ = Glibc.close(write)
        }
    }

    /// A poll and two pipes (the old number's and the new one's), closed after `body`.
    private func withTwoPipes(_ body: (EventPoll, Pipe, Pipe) throws -> Void) throws {
        let poll = try EventPoll()
        let old = try Pipe()
        let new = try Pipe()
        defer {
            old.close()
            new.close()
        }
        try body(poll, old, new)
    }

    /// The sockets one wait without waiting reports ready.
    private func ready(_ poll: EventPoll) -> [Int32] {
        var fds: [Int32] = []
        poll.wait(milliseconds: 0) { fd, _ in fds.append(fd) }
        return fds
    }

    @Test func watchForgetAndRewatchKeepTheRecordAndTheKernelAlike() throws {
        let poll = try EventPoll()
        let p = try Pipe()
        defer { p.close() }
        try p.makeReadable()

        try poll.watch(p.read, for: .readable)
        #expect(poll.watched == [p.read: .readable])
        #expect(ready(poll) == [p.read])

        try poll.watch(p.read, for: [.readable, .writable])
        #expect(poll.watched == [p.read: [.readable, .writable]])
        #expect(ready(poll) == [p.read])

        poll.forget(p.read)
        #expect(poll.watched.isEmpty)
        #expect(ready(poll).isEmpty)

        try poll.watch(p.read, for: .readable)
        #expect(poll.watched == [p.read: .readable])
        #expect(ready(poll) == [p.read])
    }

    @Test func forgettingASocketNeverWatchedChangesNothing() throws {
        let poll = try EventPoll()
        let p = try Pipe()
        defer { p.close() }
        try poll.watch(p.read, for: .readable)
        poll.forget(p.write)
        #expect(poll.watched == [p.read: .readable])
    }

    @Test func aFailedWatchLeavesNoRecord() throws {
        let poll = try EventPoll()
        #expect(throws: Errno(code: EBADF)) { try poll.watch(-1, for: .readable) }
        #expect(poll.watched.isEmpty)
    }

    @Test func aForgottenClosedNumberReusedIsAddedAgain() throws {
        try withTwoPipes { poll, old, new in
            try poll.watch(old.read, for: .readable)
            poll.forget(old.read)
            // dup2 closes the old read end and gives its number to the new pipe's, atomically,
            // so no other test's descriptor can take the number in between.
            try #require(dup2(new.read, old.read) == old.read)
            try poll.watch(old.read, for: .readable)
            try new.makeReadable()
            #expect(poll.watched == [old.read: .readable])
            #expect(ready(poll) == [old.read])
        }
    }

    @Test func aClosedNumberReusedUnforgottenIsAddedAgainOnAChange() throws {
        try withTwoPipes { poll, old, new in
            try poll.watch(old.read, for: .readable)
            try #require(dup2(new.read, old.read) == old.read)  // the kernel forgets the old read end
            try poll.watch(old.read, for: [.readable, .writable])
            try new.makeReadable()
            #expect(poll.watched == [old.read: [.readable, .writable]])
            #expect(ready(poll) == [old.read])
        }
    }

    /// The same events again make no epoll_ctl: shown by a number the kernel has forgotten,
    /// which stays unwatched (why a socket is to be forgotten before it is closed).
    @Test func watchingForTheSameEventsAgainIsNoCall() throws {
        try withTwoPipes { poll, old, new in
            try poll.watch(old.read, for: .readable)
            try #require(dup2(new.read, old.read) == old.read)
            try poll.watch(old.read, for: .readable)
            try new.makeReadable()
            #expect(ready(poll).isEmpty)
        }
    }
}
