import Testing

@testable import CredVendCore

/// `ByteScan.plainTextEnd` reads eight bytes a step; it must stop where a byte-by-byte
/// reading stops, for every start and wherever in a word the stopping byte is.
@Suite struct ByteScanTests {
    static func reference(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex { $0 == 0x3C || $0 == 0x26 || $0 < 0x20 || $0 > 0x7E } ?? bytes.count
    }

    @Test func plainTextEndStopsWhereAByteLoopStops() {
        let stops: [UInt8] = [0x3C, 0x26, 0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xFF]
        let passes: [UInt8] = [0x20, 0x3B, 0x3D, 0x25, 0x27, 0x7E, 0x21, 0x41, 0x3E]
        for length in 0..<20 {
            for position in 0...length {
                for stop in stops + [nil] {
                    var bytes = (0..<length).map { passes[$0 % passes.count] }
                    if let stop, position < length { bytes[position] = stop }
                    for start in 0...length {
                        #expect(ByteScan.plainTextEnd(bytes, from: start) == Self.reference(bytes, from: start))
                    }
                }
            }
        }
    }
}
