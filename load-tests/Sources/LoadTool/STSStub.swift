import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Synchronization

/// A local STS for load runs that answers every AssumeRole at once with
/// credentials of realistic sizes (AccessKeyId 20, SecretAccessKey 40,
/// SessionToken 800 characters), so that STS latency is not what is measured.
/// It does not check signatures; `load-tests/run --sts moto` uses moto_server,
/// which does.
final class STSStub: HTTPHandler {
    private let counter = Atomic<Int>(0)
    let calls = Counter()

    func handle(_ request: HTTPRequest) -> HandlerResult {
        guard request.method == "POST" else { return .respond(HTTPResponse(status: 405)) }
        let form = QueryString.parse(String(decoding: request.body, as: UTF8.self))
        let value = { (name: String) in form.first { $0.name == name }?.value }
        guard value("Action") == "AssumeRole", let arn = value("RoleArn") else {
            return .respond(
                HTTPResponse(
                    status: 400,
                    body: Array("<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>".utf8)
                )
            )
        }
        calls.increment()
        let n = counter.add(1, ordering: .relaxed).newValue
        let duration = Int(value("DurationSeconds") ?? "3600") ?? 3600
        let expiration = ISO8601.string(Date().addingTimeInterval(TimeInterval(duration)))
        let serial = String(n, radix: 16).uppercased()
        let key = "ASIA" + String(repeating: "0", count: max(0, 16 - serial.count)) + serial
        let secret = String(repeating: "s", count: 40 - serial.count) + serial
        let token = "IQoJb3JpZ2luX2VjE" + String(repeating: "A", count: 800 - 17 - serial.count) + serial
        let session = value("RoleSessionName") ?? "credvend"
        let xml =
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
            + "<AssumedRoleUser><Arn>\(arn.replacingOccurrences(of: ":role/", with: ":assumed-role/"))/\(session)</Arn>"
            + "<AssumedRoleId>AROALOADTEST:\(session)</AssumedRoleId></AssumedRoleUser>"
            + "<Credentials><AccessKeyId>\(key)</AccessKeyId><SecretAccessKey>\(secret)</SecretAccessKey>"
            + "<SessionToken>\(token)</SessionToken><Expiration>\(expiration)</Expiration></Credentials>"
            + "</AssumeRoleResult><ResponseMetadata><RequestId>load-\(n)</RequestId></ResponseMetadata></AssumeRoleResponse>"
        return .respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Array(xml.utf8)))
    }
}
