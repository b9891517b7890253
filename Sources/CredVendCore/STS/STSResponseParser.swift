import Foundation

/// The STS actions credvend calls; each names its response document.
public enum STSAction: String, Sendable, CaseIterable {
    case assumeRole = "AssumeRole"
    case assumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
}

/// What a successful AssumeRole or AssumeRoleWithWebIdentity returns.
public struct AssumedRole: Sendable, Equatable {
    public var credentials: AWSCredentials
    /// `AssumedRoleUser/Arn`, e.g. `arn:aws:sts::123456789012:assumed-role/demo/credvend-x`.
    public var assumedRoleArn: String
    public var requestId: String?
}

/// Reads STS's XML answers: the two success documents and `<ErrorResponse>`
/// (AWS's `<Error>` directly under the root, and moto's `<Errors><Error>`).
public enum STSResponseParser {
    /// The credentials in a success document for `action`, or the `STSError` an
    /// error document (or an unreadable body) stands for.
    ///
    /// - Parameters:
    ///   - httpStatus: the response status; a non-2xx status is an error even
    ///     if the body is not an error document.
    ///   - secrets: strings to keep out of any error (the tokens that were sent).
    public static func parse(
        _ body: [UInt8],
        httpStatus: Int,
        action: STSAction,
        redacting secrets: [String] = []
    ) throws(STSError) -> AssumedRole {
        if (200..<300).contains(httpStatus), let answer = scanned(body, action: action) { return answer }
        return try parseDocument(body, httpStatus: httpStatus, action: action, redacting: secrets)
    }

    /// `parse` through MiniXML: any document, every error.
    static func parseDocument(
        _ body: [UInt8],
        httpStatus: Int,
        action: STSAction,
        redacting secrets: [String]
    ) throws(STSError) -> AssumedRole {
        let root: MiniXMLElement
        do {
            root = try MiniXML.parse(body, keeping: answerShape)
        } catch {
            let what = (200..<300).contains(httpStatus) ? "response" : "HTTP \(httpStatus) response"
            throw .malformedResponse("STS \(what) is not a readable XML document: \(error)", httpStatus: httpStatus)
        }
        if root.name == "ErrorResponse" || root.name == "Response" {
            throw try stsError(root, httpStatus: httpStatus, redacting: secrets)
        }
        guard (200..<300).contains(httpStatus) else {
            throw .malformedResponse(
                "STS answered HTTP \(httpStatus) with <\(root.name)>, not an error document",
                httpStatus: httpStatus
            )
        }
        guard root.name == "\(action.rawValue)Response" else {
            throw .malformedResponse(
                "expected <\(action.rawValue)Response>, got <\(root.name)>",
                httpStatus: httpStatus
            )
        }
        let path = Path(status: httpStatus)
        let result = try path.one("\(action.rawValue)Result", in: root)
        let creds = try path.one("Credentials", in: result)
        let user = try path.one("AssumedRoleUser", in: result)

        let expirationText = try path.text("Expiration", in: creds)
        guard let expiration = ISO8601.parse(expirationText) else {
            throw .malformedResponse("<Expiration> is not an ISO 8601 timestamp", httpStatus: httpStatus)
        }
        let credentials = AWSCredentials(
            accessKeyId: try path.token("AccessKeyId", in: creds),
            secretAccessKey: try path.token("SecretAccessKey", in: creds),
            sessionToken: try path.token("SessionToken", in: creds),
            expiration: expiration
        )
        let requestId = root.children(named: "ResponseMetadata").first?.children(named: "RequestId").first?.text
        return AssumedRole(
            credentials: credentials,
            assumedRoleArn: try path.text("Arn", in: user),
            requestId: requestId.map(trimmed)
        )
    }

    /// The usual success document read by `STSSuccessScanner`, with the checks `parse`
    /// applies to what MiniXML kept; nil when the scanner gives up or a check fails
    /// (`parse` then reads the document again and says what is wrong).
    static func scanned(_ body: [UInt8], action: STSAction) -> AssumedRole? {
        guard let fields = STSSuccessScanner.scan(body, action: action) else { return nil }
        func text(_ range: Range<Int>?) -> String? {
            guard let range else { return nil }
            let value = trimmed(String(decoding: body[range], as: UTF8.self))
            return value.isEmpty ? nil : value
        }
        guard let expirationText = text(fields.expiration), let expiration = ISO8601.parse(expirationText),
            let accessKeyId = text(fields.accessKeyId).flatMap(credentialText),
            let secretAccessKey = text(fields.secretAccessKey).flatMap(credentialText),
            let sessionToken = text(fields.sessionToken).flatMap(credentialText),
            let arn = text(fields.arn)
        else { return nil }
        return AssumedRole(
            credentials: AWSCredentials(
                accessKeyId: accessKeyId,
                secretAccessKey: secretAccessKey,
                sessionToken: sessionToken,
                expiration: expiration
            ),
            assumedRoleArn: arn,
            requestId: fields.requestId.map { trimmed(String(decoding: body[$0], as: UTF8.self)) }
        )
    }

    /// A credential field's text without white space (pretty-printed documents, the AWS
    /// docs' examples among them, wrap long session tokens); nil when what is left is not
    /// visible ASCII, which is what HTTP headers and files can carry.
    /// One pass over the bytes (a session token is a kilobyte).
    static func credentialText(_ text: String) -> String? {
        if ByteScan.isVisibleASCII(text.utf8.span) { return text }
        let whitespace = { (b: UInt8) in b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        var wrapped = false
        for b in text.utf8 {
            if whitespace(b) {
                wrapped = true
            } else if b <= 0x20 || b >= 0x7F {
                return nil
            }
        }
        return wrapped ? String(decoding: text.utf8.filter { !whitespace($0) }, as: UTF8.self) : text
    }

    /// What the success documents and the error documents are read for: the whole
    /// document is checked, only these elements are built (every one of each name, so a
    /// field given twice is still refused).
    static let answerShape: MiniXMLShape = {
        let leaf = MiniXMLShape.leaf
        let credentials = MiniXMLShape([
            "AccessKeyId": leaf, "SecretAccessKey": leaf, "SessionToken": leaf, "Expiration": leaf,
        ])
        let result = MiniXMLShape(["Credentials": credentials, "AssumedRoleUser": MiniXMLShape(["Arn": leaf])])
        let metadata = MiniXMLShape(["RequestId": leaf])
        let error = MiniXMLShape(["Code": leaf, "Message": leaf])
        let errorDocument = MiniXMLShape([
            "Errors": MiniXMLShape(["Error": error]), "Error": error, "RequestId": leaf, "RequestID": leaf,
        ])
        var roots = ["ErrorResponse": errorDocument, "Response": errorDocument]
        for action in STSAction.allCases {
            roots["\(action.rawValue)Response"] = MiniXMLShape([
                "\(action.rawValue)Result": result, "ResponseMetadata": metadata,
            ])
        }
        return MiniXMLShape(roots)
    }()

    /// `<ErrorResponse>` (or `<Response>`) as an `STSError`.
    static func stsError(
        _ root: MiniXMLElement,
        httpStatus: Int,
        redacting secrets: [String]
    ) throws(STSError) -> STSError {
        let path = Path(status: httpStatus)
        let errors = root.children(named: "Errors")
        let holder = errors.count == 1 ? errors[0] : root
        let error = try path.one("Error", in: holder)
        let code = try path.text("Code", in: error)
        let message = error.children(named: "Message").first.map { trimmed($0.text) } ?? ""
        let requestId = (root.children(named: "RequestId").first ?? root.children(named: "RequestID").first)
            .map { trimmed($0.text) }
        return STSError(
            code: code,
            message: message.isEmpty ? "(no message)" : message,
            httpStatus: httpStatus,
            requestId: requestId,
            redacting: secrets
        )
    }

    /// Without surrounding whitespace. STS's fields start and end with visible ASCII: those
    /// are kept as they are, since Foundation's trim walks a 1 KiB session token in UTF-16.
    static func trimmed(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21..<0x7F).contains(first),
            (0x21..<0x7F).contains(last)
        {
            return text
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Strict lookups: exactly one child of a name, non-empty text.
    private struct Path {
        let status: Int

        func one(_ name: String, in parent: MiniXMLElement) throws(STSError) -> MiniXMLElement {
            var found: MiniXMLElement? = nil
            for child in parent.children where child.name == name {
                guard found == nil else {
                    throw .malformedResponse("<\(parent.name)> has more than one <\(name)>", httpStatus: status)
                }
                found = child
            }
            guard let found else {
                throw .malformedResponse("<\(parent.name)> has no <\(name)>", httpStatus: status)
            }
            return found
        }

        func text(_ name: String, in parent: MiniXMLElement) throws(STSError) -> String {
            let value = STSResponseParser.trimmed(try one(name, in: parent).text)
            guard !value.isEmpty else { throw .malformedResponse("<\(name)> is empty", httpStatus: status) }
            return value
        }

        /// A credential field (`credentialText`).
        func token(_ name: String, in parent: MiniXMLElement) throws(STSError) -> String {
            guard let value = STSResponseParser.credentialText(try text(name, in: parent)) else {
                throw .malformedResponse("<\(name)> holds characters a credential cannot have", httpStatus: status)
            }
            return value
        }
    }
}
