public import CredVendCore
import CredVendSystem
import Foundation

/// `HTTPTransfers` over a blocking `HTTPClient`: each transfer on a thread of its own. What an
/// `STSClient` made with an in-process client (tests' fakes, the load tests' stubs) uses;
/// `serve` gives it the HTTP workers' `WorkerTransfers` instead.
public struct BlockingTransfers: HTTPTransfers {
    public let client: any HTTPClient

    public init(_ client: any HTTPClient) { self.client = client }

    public func start(
        _ request: HTTPClientRequest,
        completion: @escaping @Sendable (Result<HTTPClientResponse, CurlError>) -> Void
    ) {
        startThread(named: "credvend-http") { [client] in
            do throws(CurlError) {
                completion(.success(try client.send(request)))
            } catch {
                completion(.failure(error))
            }
        }
    }
}
