/// The Cognito flow's second step: the access token POSTed to the vending API
/// (`credvend serve`'s `/v1/credentials`, docs/reference.md#post-v1credentials), credential_process JSON back. Pure.
public enum VendingExchange {
    /// `tls`: the trust anchors and client certificate (a bound token needs the latter);
    /// `selection`: a named role, duration and narrowing (none: the mapping's default role).
    public static func request(
        url: String,
        token: String,
        tls: TLSClientOptions = TLSClientOptions(),
        selection: VendingSelection = VendingSelection()
    ) -> HTTPClientRequest {
        let body = "{\"access_token\":\(JSONText.quote(token))\(selection.jsonFields)}"
        return tls.applied(
            to: HTTPClientRequest(
                method: "POST",
                url: url,
                headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                body: Array(body.utf8),
                connectTimeout: .seconds(5),
                timeout: .seconds(20),
                maxResponseBytes: 64 * 1024
            )
        )
    }

    /// The credentials in a 200 answer, or the error the API described
    /// (`{"error", "message"}`). A 401 means the token itself was refused.
    public static func parse(
        _ response: HTTPClientResponse,
        url: String,
        redacting secrets: [String]
    ) -> Result<AWSCredentials, ClientError> {
        guard response.status == 200 else {
            let json = (try? JSONParser.parse(response.body))?.objectValue
            var what = "HTTP \(response.status)"
            if let code = json?["error"]?.stringValue { what += " \(code)" }
            if let text = json?["message"]?.stringValue, !text.isEmpty { what += ": \(text)" }
            let kind: ClientError.Kind
            switch response.status {
            case 401: kind = .tokenRejected
            case 429, 500...: kind = .upstream
            default: kind = .exchange
            }
            let verb = kind == .upstream ? "failed" : "refused the request"
            return .failure(ClientError(kind, "the credential API \(url) \(verb): \(what)", redacting: secrets))
        }
        guard let c = CredentialProcessOutput.parse(response.body),
            [c.accessKeyId, c.secretAccessKey, c.sessionToken ?? "x"].allSatisfy(ClientURL.visibleASCII)
        else {
            return .failure(
                ClientError(.malformed, "the credential API \(url) answered 200 without credential_process JSON")
            )
        }
        return .success(c)
    }
}
