public import CredVendCore
import CredVendHTTP

/// Asks a `credvend agent` socket for credentials: what `get-credentials --socket` and
/// `generate` do, so a program needs the socket's permission and no IdP secret.
public enum AgentSocketClient {
    public static func credentials(
        socket: String,
        role: String?,
        durationSeconds: Int?
    ) throws(ClientError) -> AWSCredentials {
        var query: [(name: String, value: String)] = []
        if let role { query.append(("role", role)) }
        if let durationSeconds { query.append(("duration", String(durationSeconds))) }
        let target = "/v1/credentials" + (query.isEmpty ? "" : "?" + FormURLEncoding.encode(query))
        let request = HTTPClientRequest(
            url: "http://localhost" + target,
            headers: [("Accept", "application/json")],
            connectTimeout: .seconds(5),
            timeout: .seconds(60),
            unixSocketPath: socket,
            maxResponseBytes: 64 * 1024
        )
        let response: HTTPClientResponse
        do {
            response = try CurlHTTPClient(maxIdleHandles: 0).send(request)
        } catch  where error.kind == .couldNotConnect {
            // curl names localhost:80 here; what matters is the socket and who may open it.
            throw ClientError(
                .network,
                "cannot reach the agent at \(socket): no agent listens there, or this user may not open the socket "
                    + "(see its mode and group)"
            )
        } catch {
            throw ClientError(.network, "cannot reach the agent at \(socket): \(error.message)")
        }
        guard response.status == 200 else {
            let json = (try? JSONParser.parse(response.body))?.objectValue
            var what = "HTTP \(response.status)"
            if let code = json?["error"]?.stringValue { what += " \(code)" }
            if let text = json?["message"]?.stringValue, !text.isEmpty { what += ": \(text)" }
            throw ClientError(response.status >= 500 ? .upstream : .exchange, "the agent at \(socket) refused: \(what)")
        }
        guard let credentials = CredentialProcessOutput.parse(response.body) else {
            throw ClientError(.malformed, "the agent at \(socket) answered 200 without credential_process JSON")
        }
        return credentials
    }
}
