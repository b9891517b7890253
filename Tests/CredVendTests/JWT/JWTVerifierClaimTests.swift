import CredVendTesting
import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendStore

private typealias F = JWTFixture

@Suite struct JWTVerifierClaimTests {
    @Test func wrongIssuer() throws {
        for iss: JSONValue? in [
            .string("https://evil.example"), .string(F.issuer + "/"), .string(F.issuer.uppercased()), nil, 1,
        ] {
            F.expectRefusal(try F.token(claims: F.claims(["iss": iss])), .wrongIssuer)
        }
    }

    @Test func wrongTokenUse() throws {
        for use: JSONValue? in ["id", "Access", "", nil, true] {
            F.expectRefusal(try F.token(claims: F.claims(["token_use": use])), .wrongTokenUse)
        }
    }

    @Test func expiry() throws {
        let t = F.now.timeIntervalSince1970
        F.expectRefusal(try F.token(claims: F.claims(["exp": .number(t - 61)])), .expired)
        F.expectRefusal(try F.token(claims: F.claims(["exp": .number(t - 60)])), .expired)  // now < exp + skew fails
        F.expectRefusal(try F.token(claims: F.claims(["exp": .number(t - 100_000)])), .expired)
        let relaxed = JWTVerifier(issuer: F.issuer, clockSkew: 200)
        #expect(
            try relaxed.verify(token: F.token(claims: F.claims(["exp": .number(t - 100)])), keys: F.keys, now: F.now)
                .clientId == F.clientId
        )
    }

    @Test func expiryWithinSkewAccepted() throws {
        let t = F.now.timeIntervalSince1970
        for exp in [t - 59, t - 0.5, t] {
            let verified = try F.verifier.verify(
                token: F.token(claims: F.claims(["exp": .number(exp)])),
                keys: F.keys,
                now: F.now
            )
            #expect(verified.exp == Date(timeIntervalSince1970: exp))
        }
    }

    @Test func expMissingOrNotANumber() throws {
        for exp: JSONValue? in [nil, "1800003600", true, ["x"], .null] {
            F.expectRefusal(try F.token(claims: F.claims(["exp": exp])), .invalidClaim)
        }
    }

    @Test func notBefore() throws {
        let t = F.now.timeIntervalSince1970
        F.expectRefusal(try F.token(claims: F.claims(["nbf": .number(t + 61)])), .notYetValid)
        #expect(throws: Never.self) {
            try F.verifier.verify(token: F.token(claims: F.claims(["nbf": .number(t + 60)])), keys: F.keys, now: F.now)
        }
        F.expectRefusal(try F.token(claims: F.claims(["nbf": "0"])), .invalidClaim)
    }

    @Test func issuedInFuture() throws {
        let t = F.now.timeIntervalSince1970
        F.expectRefusal(try F.token(claims: F.claims(["iat": .number(t + 61)])), .issuedInFuture)
        #expect(throws: Never.self) {
            try F.verifier.verify(token: F.token(claims: F.claims(["iat": .number(t + 60)])), keys: F.keys, now: F.now)
        }
        F.expectRefusal(try F.token(claims: F.claims(["iat": false])), .invalidClaim)
    }

    @Test func clientId() throws {
        for value: JSONValue? in [nil, "", 42, ["a"], .null] {
            F.expectRefusal(try F.token(claims: F.claims(["client_id": value])), .missingClientId)
        }
    }

    @Test func requiredScopes() throws {
        let error = F.expectRefusal(try F.token(claims: F.claims(["scope": "openid"])), .insufficientScope)
        #expect(error?.httpStatus == 403 && error?.oauthError == "insufficient_scope")
        #expect(error?.message.contains("credvend/vend") == true)  // names the configured scope, to act on
        F.expectRefusal(try F.token(claims: F.claims(["scope": nil])), .insufficientScope)
        F.expectRefusal(try F.token(claims: F.claims(["scope": "credvend/vend2 xcredvend/vend"])), .insufficientScope)
        let two = JWTVerifier(issuer: F.issuer, requiredScopes: ["a", "b"])
        F.expectRefusal(try F.token(claims: F.claims(["scope": "a"])), .insufficientScope, verifier: two)
        #expect(
            try two.verify(token: F.token(claims: F.claims(["scope": "  b   a "])), keys: F.keys, now: F.now).scopes
                == ["b", "a"]
        )
    }

    @Test func scopeNotAString() throws {
        F.expectRefusal(try F.token(claims: F.claims(["scope": ["credvend/vend"]])), .invalidClaim)
    }
}

@Suite struct JWTVerifierOrderTests {
    @Test func earlierChecksWin() throws {
        let t = F.now.timeIntervalSince1970
        let bad = F.claims(["iss": "x", "exp": .number(t - 1000), "client_id": nil])
        // 2 before 3: alg none with an unknown kid.
        F.expectRefusal(
            try F.token(header: ["alg": "none", "kid": "kid-unknown-3e3e"], claims: bad, signAs: .RS256),
            .unsupportedAlgorithm
        )
        // 2: kid before crit.
        F.expectRefusal(try F.token(header: ["alg": "RS256", "crit": ["x"]], claims: bad), .missingKid)
        // 3 before 4: unknown kid, wrong key.
        F.expectRefusal(
            try F.token(header: ["alg": "RS256", "kid": "kid-unknown-3e3e"], claims: bad, key: TestKeys.otherRSA),
            .unknownKid
        )
        // 4 before 5: no claim is looked at before the signature verifies.
        F.expectRefusal(try F.token(claims: bad, key: TestKeys.otherRSA), .badSignature)
        // 5 in order: iss, token_use, exp, nbf, iat, client_id, scope.
        F.expectRefusal(try F.token(claims: bad), .wrongIssuer)
        F.expectRefusal(try F.token(claims: F.claims(["token_use": "id", "exp": .number(t - 1000)])), .wrongTokenUse)
        F.expectRefusal(try F.token(claims: F.claims(["exp": .number(t - 1000), "nbf": .number(t + 1000)])), .expired)
        F.expectRefusal(
            try F.token(claims: F.claims(["nbf": .number(t + 1000), "iat": .number(t + 1000)])),
            .notYetValid
        )
        F.expectRefusal(try F.token(claims: F.claims(["iat": .number(t + 1000), "client_id": nil])), .issuedInFuture)
        F.expectRefusal(try F.token(claims: F.claims(["client_id": nil, "scope": nil])), .missingClientId)
    }

    @Test func errorCodesMapToHTTPStatus() {
        for code in JWTError.Code.allCases {
            #expect(JWTError(code, "m").httpStatus == (code == .insufficientScope ? 403 : 401))
        }
    }
}
