// The only file that imports COpenSSL. Everything OpenSSL does for credvend
// (digests, HMAC, randomness, signature verification) is exposed here as safe
// Swift types; no pointer leaves this file.
internal import COpenSSL

/// An OpenSSL failure, with the library's error queue rendered as text.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String
    public var description: String { "OpenSSL \(operation) failed: \(detail)" }

    static func fromQueue(_ operation: String) -> OpenSSLError {
        var lines: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(operation: operation, detail: lines.isEmpty ? "unknown error" : lines.joined(separator: "; "))
    }
}

/// SHA-256, one shot. Why not incremental: every input credvend hashes is in memory.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        let done: Void? = input.withContiguousStorageIfAvailable { buf in
            out.withUnsafeMutableBufferPointer { o in _ = COpenSSL.SHA256(buf.baseAddress, buf.count, o.baseAddress) }
        }
        if done == nil {
            let copy = Array(input)
            copy.withUnsafeBufferPointer { buf in
                out.withUnsafeMutableBufferPointer { o in _ = COpenSSL.SHA256(buf.baseAddress, buf.count, o.baseAddress) }
            }
        }
        return out
    }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }
}

/// HMAC-SHA256, one shot (SigV4 key derivation and signing, audit token ids).
public enum HMACSHA256 {
    public static func mac<Key: Collection<UInt8>, Message: Collection<UInt8>>(key: Key, message: Message) -> [UInt8] {
        let k = Array(key), m = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        k.withUnsafeBufferPointer { kb in
            m.withUnsafeBufferPointer { mb in
                out.withUnsafeMutableBufferPointer { ob in
                    _ = HMAC(EVP_sha256(), kb.baseAddress, Int32(kb.count), mb.baseAddress, mb.count, ob.baseAddress, &length)
                }
            }
        }
        return out
    }

    public static func mac(key: [UInt8], message: String) -> [UInt8] { mac(key: key, message: Array(message.utf8)) }
}

/// Cryptographically secure random bytes (tokens, jitter seeds, request ids).
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard rc == 1 else { throw OpenSSLError.fromQueue("RAND_bytes") }
        return out
    }
}

/// Constant-time equality for secrets (admin and TES tokens).
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }
}
