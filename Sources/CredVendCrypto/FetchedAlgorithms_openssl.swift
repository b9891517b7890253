internal import COpenSSL

/// A digest fetched from the default provider once for the whole process. Handing a
/// fetched EVP_MD to an init call skips the lookup by name (a provider fetch under a
/// process-wide read lock) that `EVP_sha256()` and OpenSSL 3's one-shots do per call,
/// and which cost more than hashing a whole access token.
///
/// @unchecked Sendable: a fetched EVP_MD is immutable and may be shared between
/// threads; it is never freed, as it is needed for as long as the process runs.
final class FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer

    init(_ name: String) {
        guard let md = EVP_MD_fetch(nil, name, nil) else { OpenSSLError.broken("fetching digest \(name)") }
        self.md = md
    }
}

/// A MAC fetched once, as `FetchedDigest` (same reasons, same sharing rules).
final class FetchedMAC: @unchecked Sendable {
    let mac: OpaquePointer

    init(_ name: String) {
        guard let mac = EVP_MAC_fetch(nil, name, nil) else { OpenSSLError.broken("fetching MAC \(name)") }
        self.mac = mac
    }
}

private let fetchedSHA256 = FetchedDigest(SignatureAlgorithm.Digest.sha256.openSSLName)
private let fetchedSHA384 = FetchedDigest(SignatureAlgorithm.Digest.sha384.openSSLName)
private let fetchedSHA512 = FetchedDigest(SignatureAlgorithm.Digest.sha512.openSSLName)

extension SignatureAlgorithm.Digest {

    /// The fetched EVP_MD for every init that takes a digest.
    var evpMD: OpaquePointer {
        switch self {
        case .sha256: return fetchedSHA256.md
        case .sha384: return fetchedSHA384.md
        case .sha512: return fetchedSHA512.md
        }
    }

    /// The digest's name as OpenSSL's parameters spell it.
    var openSSLName: String {
        switch self {
        case .sha256: return "SHA2-256"
        case .sha384: return "SHA2-384"
        case .sha512: return "SHA2-512"
        }
    }
}
