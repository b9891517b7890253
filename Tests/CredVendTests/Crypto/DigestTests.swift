import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendCrypto

@Suite struct DigestTests {
    // FIPS 180-2 Appendix B.1 and B.2.
    @Test func sha256KnownAnswers() {
        #expect(Hex.encode(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Hex.encode(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
    }

    // FIPS 180-2 Appendix D.1 and D.2 (SHA-384), C.1 and C.2 (SHA-512), and the empty string.
    @Test func sha384AndSHA512KnownAnswers() {
        let twoBlocks =
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(
            Hex.encode(SHA384.hash("abc"))
                == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        )
        #expect(
            Hex.encode(SHA384.hash(twoBlocks))
                == "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"
        )
        #expect(
            Hex.encode(SHA384.hash(""))
                == "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
        )
        #expect(
            Hex.encode(SHA512.hash("abc"))
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
        #expect(
            Hex.encode(SHA512.hash(twoBlocks))
                == "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        )
        #expect(
            Hex.encode(SHA512.hash(""))
                == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        )
    }

    // FIPS 180-2's one million "a"s, given as an array and as a collection without
    // contiguous storage (the copying path).
    @Test func aMillionBytes() throws {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let lazy = repeatElement(UInt8(ascii: "a"), count: 1_000_000)
        let sha256 = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Hex.encode(SHA256.hash(bytes)) == sha256)
        #expect(Hex.encode(SHA256.hash(lazy)) == sha256)
        #expect(
            Hex.encode(SHA384.hash(bytes))
                == "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985"
        )
        #expect(
            Hex.encode(SHA512.hash(lazy))
                == "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"
        )
        #expect(
            try Hex.encode(HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), message: lazy))
                == "5d1894210d1b3999fbc02e4117dd17e5fed1a469237daffe418c3fba4c75919f"
        )
    }

    // RFC 4231 test cases 1, 2 and 6.
    @Test func hmacSHA256RFC4231() throws {
        #expect(
            try Hex.encode(HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), message: "Hi There"))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        )
        #expect(
            try Hex.encode(HMACSHA256.mac(key: Array("Jefe".utf8), message: "what do ya want for nothing?"))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
        #expect(
            try Hex.encode(
                HMACSHA256.mac(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    message: "Test Using Larger Than Block-Size Key - Hash Key First"
                )
            )
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        )
    }

    // The thread's context is reused: an empty key after another must not keep the old key.
    @Test func hmacWithAnEmptyKeyAfterAnotherKey() throws {
        _ = try HMACSHA256.mac(key: Array("Jefe".utf8), message: "x")
        #expect(
            try Hex.encode(HMACSHA256.mac(key: [], message: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        )
    }

    @Test func sha256AsWordsIsTheDigest() {
        for input in ["", "abc", String(repeating: "x", count: 1000)] {
            let bytes = Array(input.utf8)
            let digest = SHA256.digest(bytes.span)
            #expect(digest.bytes == SHA256.hash(bytes))
            #expect(Hex.encode(digest) == Hex.encode(SHA256.hash(bytes)))
            #expect(SHA256Digest(digest: SHA256.hash(bytes)) == digest)
        }
    }

    // Under the key it last used, the thread's context is reset rather than keyed again:
    // each code must still be the one-shot MAC of its own key and message only.
    @Test func hmacUnderARememberedKeyIsTheOneShotMAC() throws {
        let a = SHA256.digest(Array("a".utf8).span)
        let b = SHA256.digest(Array("b".utf8).span)
        let messages = ["", "first", String(repeating: "long ", count: 40)].map { Array($0.utf8) }
        var expected: [[UInt8]: [UInt8]] = [:]
        for key in [a, b] {
            for message in messages {
                expected[key.bytes + message] = try HMACSHA256.mac(key: key.bytes, message: message)
            }
        }
        for key in [a, a, b, a, b, b] {
            for message in messages + messages.reversed() {
                let code = try HMACSHA256.code(key: key, message: message.span)
                #expect(code.bytes == expected[key.bytes + message])
            }
        }
        // A key given as bytes in between: the remembered key is then gone from the context.
        let first = messages[1]
        _ = try HMACSHA256.code(key: a, message: first.span)
        _ = try HMACSHA256.mac(key: Array("Jefe".utf8), message: "x")
        let again = try HMACSHA256.code(key: a, message: first.span)
        #expect(again.bytes == expected[a.bytes + first])
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        let jefe = try HMACSHA256.code(key: key.span, message: message.span)
        #expect(Hex.encode(jefe) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func concurrentDigestsAgree() async {
        let input = (0..<4096).map { UInt8(truncatingIfNeeded: $0) }
        let expected = SHA256.hash(input)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 { group.addTask { SHA256.hash(input) == expected && SHA512.hash(input).count == 64 } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 32 && results.allSatisfy { $0 })
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
        #expect(ConstantTime.equals([], []))
    }
}
