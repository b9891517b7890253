import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore

/// The JSON protocol's values: attribute values, the Scan body, pages, error bodies, and
/// the signed request.
@Suite struct DynamoDBMessagesTests {
    @Test func attributeValuesReadAndWriteEveryType() throws {
        let text = #"""
            {"s":{"S":"a"},"n":{"N":"12345678901234567890123456789012345678"},"b":{"B":"AAE="},"t":{"BOOL":true},
             "z":{"NULL":true},"ss":{"SS":["x","y"]},"ns":{"NS":["1","2"]},"bs":{"BS":["AA=="]},
             "l":{"L":[{"S":"q"},{"N":"1"}]},"m":{"M":{"k":{"S":"v"}}}}
            """#
        let json = try JSONParser.parse(Array(text.utf8))
        let members = try #require(json.objectValue)
        let item = try #require(DynamoDBAttributeValue.item(members))
        #expect(item["s"] == .string("a"))
        #expect(item["n"] == .number("12345678901234567890123456789012345678"), "numbers stay text: 38 digits")
        #expect(item["t"] == .bool(true))
        #expect(item["z"] == .null)
        #expect(item["ss"] == .stringSet(["x", "y"]))
        #expect(item["l"] == .list([.string("q"), .number("1")]))
        #expect(item["m"] == .map(["k": .string("v")]))
        #expect(DynamoDBAttributeValue.json(item: item) == json, "written back as it came")
    }

    @Test(arguments: [#"{}"#, #"{"S":"a","N":"1"}"#, #"{"X":"a"}"#, #"{"S":1}"#, #"{"N":1}"#, #"{"NULL":false}"#])
    func aMalformedAttributeValueIsRefused(_ text: String) throws {
        #expect(DynamoDBAttributeValue(json: try JSONParser.parse(Array(text.utf8))) == nil)
    }

    @Test func theScanBodyAsksForAConsistentReadFromTheStartKey() throws {
        let body = DynamoDBScanRequest(tableName: "client_roles", exclusiveStartKey: ["client_id": .string("abc")]).body
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"ConsistentRead":true,"ExclusiveStartKey":{"client_id":{"S":"abc"}},"TableName":"client_roles"}"#
        )
        let first = String(decoding: DynamoDBScanRequest(tableName: "t1x", limit: 5).body, as: UTF8.self)
        #expect(first == #"{"ConsistentRead":true,"Limit":5,"TableName":"t1x"}"#)
    }

    @Test func aPageCarriesItsItemsAndWhereTheNextStarts() throws {
        let body =
            #"{"Count":1,"Items":[{"client_id":{"S":"a"}}],"LastEvaluatedKey":{"client_id":{"S":"a"}},"ScannedCount":1}"#
        let page = try DynamoDBScanPage.parse(status: 200, body: Array(body.utf8))
        #expect(page.items == [["client_id": .string("a")]])
        #expect(page.lastEvaluatedKey == ["client_id": .string("a")])
        let last = try DynamoDBScanPage.parse(status: 200, body: Array(#"{"Count":0,"Items":[]}"#.utf8))
        #expect(last.items.isEmpty && last.lastEvaluatedKey == nil)
    }

    @Test func aPageThatIsNotAScanResponseIsMalformed() {
        for body in [
            #"{"Count":0}"#, #"not json"#, #"{"Items":[{"a":{"Q":"x"}}]}"#, #"{"Items":[],"LastEvaluatedKey":{}}"#,
        ] {
            #expect(throws: DynamoDBError(code: DynamoDBError.Code.malformedResponse, message: "", httpStatus: 200)) {
                try DynamoDBScanPage.parse(status: 200, body: Array(body.utf8))
            }
        }
    }

    @Test func errorBodiesNameTheExceptionAndItsOutcome() {
        let cases: [(Int, String, String, String, Bool)] = [
            (
                400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "ResourceNotFoundException",
                "table_missing", false
            ),
            (400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "ThrottlingException", "throttled", true),
            (
                400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "ProvisionedThroughputExceededException", "throttled", true
            ),
            (400, "com.amazon.coral.service#AccessDeniedException", "AccessDeniedException", "access_denied", false),
            (
                400, "com.amazon.coral.service#UnrecognizedClientException", "UnrecognizedClientException",
                "access_denied", false
            ),
            (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "InternalServerError", "error", true),
        ]
        for (status, type, code, outcome, retryable) in cases {
            let body = #"{"__type":"\#(type)","message":"words"}"#
            let error = DynamoDBError.from(status: status, body: Array(body.utf8))
            #expect(error.code == code)
            #expect(error.message == "words")
            #expect(error.outcome == outcome, "\(code)")
            #expect(error.isRetryable == retryable, "\(code)")
        }
        let html = DynamoDBError.from(status: 503, body: Array("<html>busy</html>".utf8))
        #expect(html.code == "HTTP503" && html.isRetryable && !html.message.contains("busy"))
        #expect(DynamoDBError.network("refused").outcome == "network_error")
    }

    @Test func anErrorMessageNeverCarriesTheSessionToken() {
        let token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
        let body = #"{"__type":"x#AccessDeniedException","Message":"token \#(token) is not allowed"}"#
        let error = DynamoDBError.from(status: 400, body: Array(body.utf8), redacting: [token])
        #expect(!error.description.contains(token))
        #expect(error.message.contains("<redacted>"), "Message (capital M) is read too")
    }

    @Test func theRequestIsSignedForDynamoDBWithTheTargetHeader() throws {
        let builder = DynamoDBRequestBuilder(endpoint: try AWSEndpoint("http://127.0.0.1:4566"), region: "eu-west-1")
        let source = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "tok-0123")
        let request = try builder.request(
            operation: "Scan",
            body: DynamoDBScanRequest(tableName: "client_roles").body,
            credentials: source,
            date: Date(timeIntervalSince1970: 1_800_000_000)
        )
        #expect(request.url == "http://127.0.0.1:4566/")
        #expect(request.header("x-amz-target") == "DynamoDB_20120810.Scan")
        #expect(request.header("content-type") == "application/x-amz-json-1.0")
        #expect(request.header("x-amz-security-token") == "tok-0123")
        let authorization = try #require(request.header("authorization"))
        #expect(authorization.contains("Credential=AKIDEXAMPLE/20270115/eu-west-1/dynamodb/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"))
    }
}
