/// The version every component reports (`--version`, `/admin/v1/info`).
public enum CredVendVersion {
    public static let string = "0.1.0"
}
