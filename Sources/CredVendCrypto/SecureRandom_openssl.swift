internal import COpenSSL

func randomBytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
    guard count >= 0, count <= Int(Int32.max) else { throw .refused("RAND_bytes", "cannot make \(count) bytes") }
    var out = [UInt8](repeating: 0, count: count)
    let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
    guard rc == 1 else { throw .fromQueue("RAND_bytes") }
    return out
}
