public import CredVendCore

/// The response of `handler` to `request`, as the server would send it: a deferred
/// result is started and awaited, so tests run the handler in-process, without sockets.
public func respond(_ handler: some HTTPHandler, to request: HTTPRequest) async -> HTTPResponse {
    switch handler.handle(request) {
    case .respond(let response):
        return response
    case .deferred(let start):
        return await withCheckedContinuation { continuation in
            start(HTTPResponder(deliver: { continuation.resume(returning: $0) }))
        }
    }
}
