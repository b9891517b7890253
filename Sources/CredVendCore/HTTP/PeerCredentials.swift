/// The process on the other end of a Unix socket connection, as the kernel recorded it
/// when it connected (SO_PEERCRED): not something the peer can claim.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}
