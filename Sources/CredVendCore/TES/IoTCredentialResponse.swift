/// The AWS IoT credential provider's answer to
/// `GET /role-aliases/<alias>/credentials`, parsed without a network:
/// 200 `{"credentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}}`,
/// otherwise `{"message": "..."}` with the error in the status (and `x-amzn-ErrorType`).
public enum IoTCredentialResponse {
    /// What the request was about, so that error messages can name it.
    public struct Context: Sendable {
        public var endpoint: String
        public var roleAlias: String
        public var thingName: String

        public init(endpoint: String, roleAlias: String, thingName: String) {
            self.endpoint = endpoint
            self.roleAlias = roleAlias
            self.thingName = thingName
        }
    }

    public static func parse(
        status: Int,
        errorType: String? = nil,
        body: [UInt8],
        context: Context
    ) -> Result<AWSCredentials, IoTCredentialError> {
        guard status == 200 else { return .failure(error(status: status, errorType: errorType, body: body, context)) }
        guard let document = try? JSONParser.parse(body), let credentials = document["credentials"] else {
            return .failure(
                IoTCredentialError(
                    .badResponse,
                    httpStatus: status,
                    "the credential provider at \(context.endpoint) answered 200 without a credentials document"
                )
            )
        }
        func field(_ name: String) -> String? {
            credentials[name]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        let missing = ["accessKeyId", "secretAccessKey", "sessionToken", "expiration"].filter { field($0) == nil }
        guard missing.isEmpty else {
            return .failure(
                IoTCredentialError(
                    .badResponse,
                    httpStatus: status,
                    "the credential provider's answer lacks \(missing.joined(separator: ", "))"
                )
            )
        }
        guard let expiration = ISO8601.parse(field("expiration")!) else {
            return .failure(
                IoTCredentialError(
                    .badResponse,
                    httpStatus: status,
                    "the credential provider's expiration is not an ISO 8601 time"
                )
            )
        }
        return .success(
            AWSCredentials(
                accessKeyId: field("accessKeyId")!,
                secretAccessKey: field("secretAccessKey")!,
                sessionToken: field("sessionToken")!,
                expiration: expiration
            )
        )
    }

    /// The provider's words plus what to check, per status.
    static func error(status: Int, errorType: String?, body: [UInt8], _ c: Context) -> IoTCredentialError {
        var said = providerMessage(body) ?? ""
        if let errorType = errorType.map(sanitized), !errorType.isEmpty {
            said = said.isEmpty ? errorType : "\(errorType): \(said)"
        }
        let quoted = said.isEmpty ? "" : " (\"\(said)\")"
        let prefix = "the credential provider at \(c.endpoint) answered \(status)\(quoted)"
        switch status {
        case 400:
            return IoTCredentialError(
                .badRequest,
                httpStatus: status,
                "\(prefix): check --thing-name \(c.thingName) is the name of the AWS IoT thing this certificate is attached to"
            )
        case 401:
            return IoTCredentialError(
                .unauthorized,
                httpStatus: status,
                "\(prefix): the client certificate was not accepted; check --cert and --key are the device's registered certificate and key"
            )
        case 403:
            return IoTCredentialError(
                .forbidden,
                httpStatus: status,
                "\(prefix): check that the certificate is ACTIVE in AWS IoT, is attached to thing \(c.thingName), and that its IoT policy allows iot:AssumeRoleWithCertificate on role alias \(c.roleAlias)"
            )
        case 404:
            return IoTCredentialError(
                .notFound,
                httpStatus: status,
                "\(prefix): check that role alias \(c.roleAlias) exists in the account and region of --endpoint (aws iot describe-role-alias --role-alias \(c.roleAlias))"
            )
        case 429:
            return IoTCredentialError(.throttled, httpStatus: status, "\(prefix): too many requests, backing off")
        default:
            return IoTCredentialError(.providerError, httpStatus: status, "\(prefix): retrying later")
        }
    }

    /// `message` of an error body, at most 200 characters, printable only.
    static func providerMessage(_ body: [UInt8]) -> String? {
        guard let message = (try? JSONParser.parse(body))?["message"]?.stringValue else { return nil }
        let clean = sanitized(message)
        return clean.isEmpty ? nil : clean
    }

    private static func sanitized(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200))
        )
    }
}
