import CredVend
import CredVendCore
import Foundation
import Testing

@Suite struct AgentConfigurationTests {
    static let valid = """
        client:
          IDP_TYPE: cognito
          COGNITO_CLIENT_ID: abc
        refresh_buffer: 600
        sockets:
          - path: /run/credvend/logs.sock
            mode: "0660"
            group: adm
            roles: [logs]
          - path: /run/credvend/backup.sock
            roles: [default, backup]
            default_role: default
        """

    func refusal(_ text: String) -> AgentConfigError? {
        do {
            _ = try AgentConfiguration.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsClientSettingsAndSockets() throws {
        let c = try AgentConfiguration.parse(Self.valid)
        #expect(c.client == ["IDP_TYPE": "cognito", "COGNITO_CLIENT_ID": "abc"])
        #expect(c.refreshBuffer == 600)
        #expect(c.sockets.map(\.path) == ["/run/credvend/logs.sock", "/run/credvend/backup.sock"])
        #expect(c.sockets[0].mode == 0o660)
        #expect(c.sockets[0].group == "adm")
        #expect(c.sockets[0].policy == AgentSocketPolicy(roles: ["logs"], defaultRole: "logs"))
        #expect(c.sockets[1].mode == 0o600)
        #expect(c.sockets[1].group == nil)
        #expect(c.sockets[1].policy == AgentSocketPolicy(roles: ["default", "backup"], defaultRole: "default"))
    }

    @Test func unknownKeyIsRefusedWithItsLine() {
        let e = refusal(Self.valid.replacingOccurrences(of: "    group: adm", with: "    gruop: adm"))
        #expect(e?.line == 8)
        #expect(e?.key == "sockets[0].gruop")
        let top = refusal("socket:\n  - path: /x\n")
        #expect(top?.line == 1)
        #expect(top?.key == "socket")
        let client = refusal(Self.valid.replacingOccurrences(of: "COGNITO_CLIENT_ID", with: "COGNITO_CLIENTID"))
        #expect(client?.line == 3)
        #expect(client?.key == "client.COGNITO_CLIENTID")
    }

    @Test func badModeIsRefused() {
        for mode in ["\"0888\"", "\"rw\"", "\"01777\"", "\"0460\"", "\"0060\""] {
            let e = refusal(Self.valid.replacingOccurrences(of: "\"0660\"", with: mode))
            #expect(e?.line == 7, "mode \(mode)")
            #expect(e?.key == "sockets[0].mode", "mode \(mode)")
        }
        #expect(refusal(Self.valid.replacingOccurrences(of: "\"0660\"", with: "\"0o640\"")) == nil)
    }

    @Test func duplicateSocketPathIsRefused() {
        let e = refusal(Self.valid.replacingOccurrences(of: "backup.sock", with: "logs.sock"))
        #expect(e?.key == "sockets[1].path")
        #expect(e?.line == 10)
    }

    @Test func defaultRoleMustBeListed() {
        let e = refusal(Self.valid.replacingOccurrences(of: "default_role: default", with: "default_role: logs"))
        #expect(e?.key == "sockets[1].default_role")
        #expect(e?.line == 12)
        let missing = refusal(Self.valid.replacingOccurrences(of: "\n    default_role: default", with: ""))
        #expect(missing?.key == "sockets[1].default_role")
    }

    @Test func otherBadValuesAreRefused() {
        #expect(refusal(Self.valid.replacingOccurrences(of: "600", with: "5"))?.key == "refresh_buffer")
        #expect(
            refusal(Self.valid.replacingOccurrences(of: "/run/credvend/logs.sock", with: "logs.sock"))?.key
                == "sockets[0].path"
        )
        #expect(refusal(Self.valid.replacingOccurrences(of: "[logs]", with: "[]"))?.key == "sockets[0].roles")
        #expect(refusal("client: {}\n")?.key == "sockets")
        #expect(refusal("sockets: [\n")?.key == "(syntax)")
    }

    @Test func errorsNeverQuoteValues() {
        let secret = "s3cr3t-value-XYZ"
        let text = "client:\n  COGNITO_CLIENT_SECRET: \(secret)\n  BOGUS: \(secret)\n"
        #expect(!(refusal(text).map { "\($0)" } ?? "").contains(secret))
        let broken = "client:\n  COGNITO_CLIENT_SECRET: \"\(secret)\n"
        #expect(!(refusal(broken).map { "\($0)" } ?? "").contains(secret))
    }
}
