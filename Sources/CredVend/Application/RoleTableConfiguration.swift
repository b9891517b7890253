public import CredVendCore
import CredVendHTTP
public import Foundation
import Logging

/// `credvend serve --roles-table NAME` and its flags (docs/replicas.md#flags).
public struct RoleTableConfiguration: Sendable {
    public var table: String
    /// nil: `--region`.
    public var region: String?
    /// nil: `https://dynamodb.<region>.amazonaws.com`.
    public var endpoint: String?
    public var syncInterval: TimeInterval = 15
    public var maxStaleness: TimeInterval?
    public var defaultBucket: String?
    public var allowMassDelete = false

    public init(table: String) { self.table = table }

    public func effectiveRegion(serveRegion: String) -> String { region ?? serveRegion }

    public func effectiveEndpoint(serveRegion: String) -> String {
        endpoint ?? "https://dynamodb.\(effectiveRegion(serveRegion: serveRegion)).amazonaws.com"
    }

    /// The DynamoDB client for this table, shared by the replica's sync and `roles --table`.
    func dynamoDBClient(
        serveRegion: String,
        client: any HTTPClient,
        logger: Logger
    ) throws(ConfigurationError) -> DynamoDBClient {
        try DynamoDBClient(
            endpoint: effectiveEndpoint(serveRegion: serveRegion),
            region: effectiveRegion(serveRegion: serveRegion),
            client: client,
            logger: logger
        )
    }

    public func validate(serveRegion: String, allowInsecureHTTP: Bool) throws(ConfigurationError) {
        // DynamoDB table names: 3-255 of A-Z a-z 0-9 _ - .
        let nameBytes = Array(table.utf8)
        let allowed = { (b: UInt8) in
            (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || "_-.".utf8.contains(b)
        }
        guard (3...255).contains(nameBytes.count), nameBytes.allSatisfy(allowed) else {
            throw ConfigurationError("--roles-table \"\(table)\" must be 3-255 characters of A-Z a-z 0-9 _ - .")
        }
        if let region, let problem = AWSRules.region(region) {
            throw ConfigurationError("--roles-table-region \"\(region)\" is not an AWS region name: \(problem)")
        }
        try URLCheck.check(
            effectiveEndpoint(serveRegion: serveRegion),
            flag: "--dynamodb-endpoint",
            allowInsecure: allowInsecureHTTP
        )
        guard syncInterval >= 1, syncInterval <= 86400 else {
            throw ConfigurationError("--roles-sync-interval must be 1-86400 seconds")
        }
        if let maxStaleness, maxStaleness < syncInterval {
            throw ConfigurationError("--roles-max-staleness must be at least --roles-sync-interval")
        }
        if let defaultBucket, let problem = RoleRules.bucket(defaultBucket) {
            throw ConfigurationError("--roles-default-bucket \"\(defaultBucket)\" \(problem)")
        }
    }
}
