import CredVendCore
import Foundation

/// An STS answer in the query protocol's XML, as AWS sends it.
struct STSReply {
    let status: Int
    let body: String
    /// The error code, nil for success (for `FakeSTS.Call`).
    let code: String?

    init(status: Int, body: String, code: String?) {
        self.status = status
        self.body = body
        self.code = code
    }

    var http: HTTPClientResponse {
        HTTPResponse(
            status: status,
            headers: ["content-type": "text/xml", "x-amzn-requestid": UUID().uuidString.lowercased()],
            body: Array(body.utf8)
        )
    }

    static func error(_ status: Int, _ code: String, _ message: String, type: String = "Sender") -> STSReply {
        let body = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error>
                <Type>\(type)</Type>
                <Code>\(code)</Code>
                <Message>\(escape(message))</Message>
              </Error>
              <RequestId>\(UUID().uuidString.lowercased())</RequestId>
            </ErrorResponse>
            """
        return STSReply(status: status, body: body, code: code)
    }

    static func success(_ credentials: AWSCredentials, roleArn: String, session: String) -> STSReply {
        let role = roleArn.split(separator: "/").last.map(String.init) ?? "role"
        let account =
            roleArn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init)
            ?? "123456789012"
        let body = """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::\(escape(account)):assumed-role/\(escape(role))/\(escape(session))</Arn>
                  <AssumedRoleId>AROAFAKEROLEID:\(escape(session))</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>\(credentials.accessKeyId)</AccessKeyId>
                  <SecretAccessKey>\(credentials.secretAccessKey)</SecretAccessKey>
                  <SessionToken>\(credentials.sessionToken ?? "")</SessionToken>
                  <Expiration>\(ISO8601.string(credentials.expiration ?? Date()))</Expiration>
                </Credentials>
              </AssumeRoleResult>
              <ResponseMetadata>
                <RequestId>\(UUID().uuidString.lowercased())</RequestId>
              </ResponseMetadata>
            </AssumeRoleResponse>
            """
        return STSReply(status: 200, body: body, code: nil)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
