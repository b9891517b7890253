/// Asks the AWS IoT credential provider for credentials: one mutual-TLS
/// `GET https://<endpoint>/role-aliases/<alias>/credentials` with the thing name in
/// `x-amzn-iot-thingname`, through `HTTPClient` (libcurl on OpenSSL, peer and host always
/// verified, here against `--rootca` only). Blocking: call it from a background thread.
public import CredVendCore
import CredVendHTTP

public struct IoTCredentialClient: Sendable {
    public let configuration: TESConfiguration
    private let client: any HTTPClient
    public var connectTimeout: Duration = .seconds(5)
    public var timeout: Duration = .seconds(15)

    public init(configuration: TESConfiguration, client: any HTTPClient) {
        self.configuration = configuration
        self.client = client
    }

    public var url: String { "\(configuration.endpointURL)/role-aliases/\(configuration.roleAlias)/credentials" }

    public func fetch() -> Result<AWSCredentials, IoTCredentialError> {
        let c = configuration
        let context = IoTCredentialResponse.Context(
            endpoint: c.endpointURL,
            roleAlias: c.roleAlias,
            thingName: c.thingName
        )
        let request = HTTPClientRequest(
            method: "GET",
            url: url,
            headers: [("x-amzn-iot-thingname", c.thingName), ("Accept", "application/json")],
            connectTimeout: connectTimeout,
            timeout: timeout,
            caFile: c.rootCAFile,
            clientCertificateFile: c.certificateFile,
            clientKeyFile: c.keyFile,
            maxResponseBytes: 64 * 1024
        )
        let response: HTTPClientResponse
        do {
            response = try client.send(request)
        } catch {
            return .failure(Self.transportError(error, endpoint: c.endpointURL))
        }
        return IoTCredentialResponse.parse(
            status: response.status,
            errorType: response.headers["x-amzn-errortype"],
            body: response.body,
            context: context
        )
    }

    static func transportError(_ error: CurlError, endpoint: String) -> IoTCredentialError {
        switch error.kind {
        case .tls:
            return IoTCredentialError(
                .tls,
                "TLS with \(endpoint) failed (\(error.message)): check that --rootca holds the CA that signed the endpoint's certificate (Amazon Root CA 1 for AWS IoT) and that --cert and --key are the device's registered certificate and key"
            )
        case .couldNotConnect, .timeout:
            return IoTCredentialError(
                .network,
                "the credential provider at \(endpoint) is unreachable: \(error.message)"
            )
        case .responseTooLarge:
            return IoTCredentialError(.badResponse, "the credential provider at \(endpoint) sent an oversized answer")
        default:
            return IoTCredentialError(.network, "the request to \(endpoint) failed: \(error.message)")
        }
    }
}
