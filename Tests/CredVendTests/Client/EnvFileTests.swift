import Testing

@testable import CredVendCore

@Suite struct EnvFileTests {
    @Test func theSeedsConfigEnvShape() throws {
        let text = """
            # /etc/oidc-s3/config.env
            IDP_TYPE=cognito
            export COGNITO_DOMAIN=my-pool.auth.eu-west-1.amazoncognito.com
              COGNITO_CLIENT_ID="1abc2defg3hij4klmno5pqrs6"   # the app client
            COGNITO_CLIENT_SECRET='p@ss w$rd "x"'
            COGNITO_RESOURCE_SERVER=https://s3-uploader.dev.oidc-s3
            EMPTY=
            HASH_INSIDE=a#b\r

            """
        let vars = try EnvFile.parse(text)
        #expect(
            vars == [
                "IDP_TYPE": "cognito", "COGNITO_DOMAIN": "my-pool.auth.eu-west-1.amazoncognito.com",
                "COGNITO_CLIENT_ID": "1abc2defg3hij4klmno5pqrs6", "COGNITO_CLIENT_SECRET": "p@ss w$rd \"x\"",
                "COGNITO_RESOURCE_SERVER": "https://s3-uploader.dev.oidc-s3", "EMPTY": "", "HASH_INSIDE": "a#b",
            ]
        )
    }

    @Test func quotesAndEscapesAsBashReadsThem() throws {
        #expect(try EnvFile.parse(#"A="x \"y\" \\ \$ z""#)["A"] == #"x "y" \ $ z"#)
        #expect(try EnvFile.parse(#"A=a\ b"#)["A"] == "a b")
        #expect(try EnvFile.parse(#"A='it'\''s'"#)["A"] == "it's")
        #expect(try EnvFile.parse("A=one'two'\"three\"")["A"] == "onetwothree")
    }

    @Test func whatAShellWouldReadDifferentlyIsRefusedByLine() {
        #expect(throws: EnvFile.ParseError(line: 2, reason: "$ and ` would be expanded by a shell; use single quotes"))
        {
            try EnvFile.parse("A=1\nB=$HOME\n")
        }
        #expect(throws: EnvFile.ParseError(line: 1, reason: "$ and ` would be expanded by a shell; use single quotes"))
        {
            try EnvFile.parse("B=\"x$(id)\"")
        }
        #expect(
            throws: EnvFile.ParseError(
                line: 1,
                reason: "unexpected text after the value; quote a value that contains spaces"
            )
        ) {
            try EnvFile.parse("A=two words")
        }
        #expect(throws: EnvFile.ParseError(line: 3, reason: "expected NAME=value")) {
            try EnvFile.parse("\n#c\nnot a line")
        }
        #expect(throws: EnvFile.ParseError(line: 1, reason: "expected NAME=value")) { try EnvFile.parse("1A=x") }
        #expect(throws: EnvFile.ParseError(line: 1, reason: "unterminated ' quote")) { try EnvFile.parse("A='x") }
        #expect(throws: EnvFile.ParseError(line: 1, reason: "shell operators are not allowed; quote the value")) {
            try EnvFile.parse("A=x;rm")
        }
    }

    @Test func anErrorNeverQuotesTheValue() {
        do {
            _ = try EnvFile.parse("SECRET='hunter2")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
    }

    @Test func renderingRoundTrips() throws {
        let pairs: [(name: String, value: String)] = [("A", "ASIA+/="), ("B", "has space"), ("C", "it's"), ("D", "")]
        let text = EnvFile.render(pairs, header: "hello")
        #expect(text == "# hello\nexport A=ASIA+/=\nexport B='has space'\nexport C='it'\\''s'\nexport D=''\n")
        let back = try EnvFile.parse(text)
        #expect(back == ["A": "ASIA+/=", "B": "has space", "C": "it's", "D": ""])
    }
}
