public import CredVendCore
import CredVendSystem
import Foundation
public import Logging

/// The client's token and credential cache on disk: one JSON file per
/// settings identity (`ClientCacheRecord`), written with `SecretFile` (mode
/// 0600, atomic). Reading is forgiving: a missing, corrupt or foreign file is
/// a miss and gets replaced; a failed write is logged, never fatal.
public final class ClientCacheStore: Sendable {
    public let directory: String
    private let logger: Logger

    private init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// `$XDG_CACHE_HOME/credvend`, else `$HOME/.cache/credvend`.
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/credvend" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/credvend" }
        return nil
    }

    /// The store at `directory`, created (mode 0700) if missing; nil, with a
    /// warning, when it cannot be used safely: not creatable, not owned by this
    /// user, or writable by others (who could plant credentials).
    public static func open(directory: String, logger: Logger) -> ClientCacheStore? {
        let fm = FileManager.default
        do {
            try fm.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            logger.warning(
                "cache directory unusable; not caching",
                metadata: ["dir": "\(directory)", "error": "\(error)"]
            )
            return nil
        }
        guard let attributes = try? fm.attributesOfItem(atPath: directory),
            (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == geteuid(),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o022 == 0
        else {
            logger.warning(
                "cache directory is not owned by this user or is writable by others; not caching",
                metadata: ["dir": "\(directory)"]
            )
            return nil
        }
        return ClientCacheStore(directory: directory, logger: logger)
    }

    public func loadToken(_ settings: ClientSettings) -> CachedToken? {
        read(ClientCacheRecord.tokenFileName(settings)).flatMap(ClientCacheRecord.decodeToken)
    }

    public func store(_ token: CachedToken, for settings: ClientSettings) {
        guard let bytes = ClientCacheRecord.encode(token) else { return }
        write(bytes, ClientCacheRecord.tokenFileName(settings))
    }

    public func removeToken(_ settings: ClientSettings) {
        // gone already is fine
        try? FileManager.default.removeItem(atPath: path(ClientCacheRecord.tokenFileName(settings)))
    }

    public func loadCredentials(_ settings: ClientSettings) -> CachedCredentials? {
        read(ClientCacheRecord.credentialsFileName(settings)).flatMap(ClientCacheRecord.decodeCredentials)
    }

    public func store(_ credentials: CachedCredentials, for settings: ClientSettings) {
        guard let bytes = ClientCacheRecord.encode(credentials) else { return }
        write(bytes, ClientCacheRecord.credentialsFileName(settings))
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// The file's bytes when it is ours and private (a file others can read
    /// or wrote is not trusted), at most 64 KiB.
    private func read(_ name: String) -> [UInt8]? {
        let p = path(name)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: p) else { return nil }
        guard (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == geteuid(),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 == 0,
            let size = (attributes[.size] as? NSNumber)?.intValue, size <= 64 * 1024,
            let data = FileManager.default.contents(atPath: p)
        else {
            logger.info("ignoring a cache file that is not private to this user", metadata: ["file": "\(p)"])
            return nil
        }
        return [UInt8](data)
    }

    private func write(_ bytes: [UInt8], _ name: String) {
        do {
            try SecretFile.write(bytes, to: path(name))
        } catch {
            logger.warning("cannot write the cache; continuing without it", metadata: ["error": "\(error)"])
        }
    }
}
