import Foundation
import Testing

@testable import CredVendCore

/// `STSResponseParser.parse` reads the usual success answer with `STSSuccessScanner`; on
/// every input it must answer what the MiniXML reading (`parseDocument`) answers, the same
/// credentials or the same error.
@Suite struct STSSuccessScannerTests {
    static func strict(_ body: [UInt8], _ action: STSAction) -> Result<AssumedRole, STSError> {
        Result { () throws(STSError) in
            try STSResponseParser.parseDocument(body, httpStatus: 200, action: action, redacting: [])
        }
    }

    static func parsed(_ body: [UInt8], _ action: STSAction) -> Result<AssumedRole, STSError> {
        Result { () throws(STSError) in try STSResponseParser.parse(body, httpStatus: 200, action: action) }
    }

    static let compact =
        #"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>"#
        + "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/x</Arn>"
        + "<AssumedRoleId>AROAX:x</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIA01</AccessKeyId>"
        + "<SecretAccessKey>s/+=</SecretAccessKey><SessionToken>IQoJb3JpZ2luX2VjE</SessionToken>"
        + "<Expiration>2026-12-01T20:00:00Z</Expiration></Credentials></AssumeRoleResult>"
        + "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>"

    static func fixtures() throws -> [([UInt8], STSAction)] {
        [
            (Array(compact.utf8), .assumeRole),
            (try STSFixtures.bytes("aws-docs-assume-role.xml"), .assumeRole),
            (try STSFixtures.bytes("moto-assume-role.xml"), .assumeRole),
            (try STSFixtures.bytes("aws-docs-assume-role-with-web-identity.xml"), .assumeRoleWithWebIdentity),
            (try STSFixtures.bytes("moto-assume-role-with-web-identity.xml"), .assumeRoleWithWebIdentity),
        ]
    }

    @Test func readsSuccessAnswersInOnePass() throws {
        for (body, action) in try Self.fixtures() {
            let scanned = STSResponseParser.scanned(body, action: action)
            #expect(scanned != nil)
            #expect(scanned.map(Result.success) == Self.strict(body, action))
        }
    }

    @Test func leavesTheUnusualToMiniXML() {
        let c = Self.compact
        let swaps: [(String, String)] = [
            ("ASIA01", "ASIA&#48;1"), ("ASIA01", "<![CDATA[ASIA01]]>"), ("ASIA01", "ASIA<!-- c -->01"),
            ("<Credentials>", "<Credentials><?pi x?>"), ("AssumeRoleResponse", "sts:AssumeRoleResponse"),
            ("<AssumedRoleId>AROAX:x</AssumedRoleId>", "<AssumedRoleId/>"),
            ("<AccessKeyId>ASIA01</AccessKeyId>", "<AccessKeyId>A</AccessKeyId><AccessKeyId>B</AccessKeyId>"),
            ("ASIA01", "ASIA<b>0</b>1"), ("r-1", "r-1</RequestId><RequestId>r-2"), ("</Arn>", "</Arn >"),
            ("xmlns=\"", "xmlns=\"&amp;"), ("s/+=", "s/+\u{E9}"), ("2026-12-01T20:00:00Z", "soon"),
            ("<Expiration>2026-12-01T20:00:00Z</Expiration>", ""), ("ASIA01", " "),
            ("AssumeRoleResult", "AssumeRoleWithWebIdentityResult"),
            ("</AssumeRoleResult>", "</AssumeRoleResult><AssumeRoleResult></AssumeRoleResult>"),
        ]
        var variants = swaps.map { c.replacingOccurrences(of: $0.0, with: $0.1) }
        variants += ["<?xml version=\"1.0\"?>" + c, "\u{FEFF}" + c, "<!DOCTYPE x>" + c, c + "<x/>", c + "x"]
        variants.append(c + "<!-- -->")
        for text in variants {
            let body = Array(text.utf8)
            #expect(STSResponseParser.scanned(body, action: .assumeRole) == nil, "\(text)")
            #expect(Self.parsed(body, .assumeRole) == Self.strict(body, .assumeRole), "\(text)")
        }
        // Elements it does not read, at any depth, and attributes are passed over as MiniXML passes them.
        let extra = c.replacingOccurrences(
            of: "<Credentials>",
            with: "<Credentials a='1' b=\"2\"><X y=\"z\"><Y>t</Y></X>"
        )
        #expect(STSResponseParser.scanned(Array(extra.utf8), action: .assumeRole) != nil)
        #expect(Self.parsed(Array(extra.utf8), .assumeRole) == Self.strict(Array(extra.utf8), .assumeRole))
        // The wrong action's document is not an answer.
        #expect(STSResponseParser.scanned(Array(c.utf8), action: .assumeRoleWithWebIdentity) == nil)
    }

    @Test func hostileVariantsReadAsMiniXMLReadsThem() throws {
        // Every byte of the compact answer replaced; the pretty-printed AWS docs answer cut
        // at every byte (the whole set over both fixtures takes a core for 15 s in debug).
        let replacements = Array("<>&/ \n\t\"'=:!?[]".utf8) + [0x00, 0x80, 0xFF]
        let docs = try STSFixtures.bytes("aws-docs-assume-role.xml")
        var scanned = 0
        for variant in HostileVariants.of(Array(Self.compact.utf8), replacements: replacements)
            + HostileVariants.of(docs, replacements: [])
        {
            if STSResponseParser.scanned(variant, action: .assumeRole) != nil { scanned += 1 }
            #expect(Self.parsed(variant, .assumeRole) == Self.strict(variant, .assumeRole))
        }
        #expect(scanned > 0)
    }
}
