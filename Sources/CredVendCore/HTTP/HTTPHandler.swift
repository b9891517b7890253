import CredVendSync

/// Answers requests. Called on one of the server's worker threads, so it must not block:
/// work that waits on the network (an STS call) returns `.deferred` and frees the thread.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HandlerResult
}

/// What a handler answers with.
public enum HandlerResult: Sendable {
    /// The response, ready now.
    case respond(HTTPResponse)
    /// The response comes later. The server parks the connection (no thread waits for it),
    /// then calls the closure once, on the worker thread, with the responder to complete;
    /// the closure starts the work elsewhere and returns at once. Any thread may call
    /// `respond` on the responder, exactly once; later calls are ignored.
    case deferred(@Sendable (HTTPResponder) -> Void)

    /// Runs `work` in a new `Task` and answers with its result.
    public static func task(_ work: @escaping @Sendable () async -> HTTPResponse) -> HandlerResult {
        .deferred { responder in
            Task { responder.respond(await work()) }
        }
    }
}

/// Completes one deferred request. The first `respond` wins. A responder dropped without
/// answering answers 500 by itself, so a forgotten responder never parks a connection for ever.
public final class HTTPResponder: Sendable {
    private let deliver: @Sendable (HTTPResponse) -> Void
    private let answered = Locked(false)

    package init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    public func respond(_ response: HTTPResponse) {
        let first = answered.withLock { done in
            defer { done = true }
            return !done
        }
        if first { deliver(response) }
    }

    deinit {
        if !answered.withLock({ $0 }) {
            deliver(.error(status: 500, code: "internal_error", message: "the request was dropped without an answer"))
        }
    }
}

/// A handler made of a closure (tests, small servers such as `dev-idp`).
public struct HTTPClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) -> HandlerResult

    public init(_ body: @escaping @Sendable (HTTPRequest) -> HandlerResult) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult { body(request) }
}
