import CredVendCore
import FuzzSupport

// The client-side readers: env files, the shared credentials INI file, container
// credentials and credential_process output. None crashes; what they render they
// read back the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = bytes(start, count)
    for parsed in [ContainerCredentials.parse(input), CredentialProcessOutput.parse(input)] {
        guard let c = parsed else { continue }
        check(
            ContainerCredentials.parse(ContainerCredentials.render(c))?.accessKeyId == c.accessKeyId,
            "container credentials do not round-trip"
        )
        check(
            CredentialProcessOutput.parse(CredentialProcessOutput.render(c))?.accessKeyId == c.accessKeyId,
            "credential_process output does not round-trip"
        )
    }
    guard let text = text(input) else { return 0 }
    // A value with a line break cannot be written on one line; the writer never gets one.
    if let pairs = try? EnvFile.parse(text), pairs.values.allSatisfy({ !$0.contains(where: \.isNewline) }) {
        let rendered = EnvFile.render(pairs.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
        do {
            let again = try EnvFile.parse(rendered)
            check(again == pairs, "env file does not round-trip")
        } catch {
            check(false, "rendered env file does not parse (\(error)): \(rendered)")
        }
    }
    for profile in ["default", "dev"] {
        if let c = SharedCredentialsFile.parse(text, profile: profile) {
            check(!c.accessKeyId.isEmpty && !c.secretAccessKey.isEmpty, "INI profile with empty keys")
        }
    }
    return 0
}

@_cdecl("FuzzCredentialFiles_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
