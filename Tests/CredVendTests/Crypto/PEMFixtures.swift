// Throwaway keys made with the openssl CLI for these tests only; nothing trusts them.
enum PEMFixtures {
    /// `openssl genrsa -traditional 2048`
    static let traditionalRSA2048 = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEpQIBAAKCAQEAtc9AkbtW0ZpK1zi/bxQmES8pt+dgpRXUNJ/ggEyH/qJUlfRu
        EN+4ELPeVH1IJtqfoEQhyAf2KxhSdPY+VTnQjRDS0UxAQHPuklE9QjQXcaz7qZ61
        KDxPJTxvd+OFp7YTJL/nVJyv8XVyDm41Tf99OjCxRS0hqfb3DWenYbQSW6pAn4oK
        npXfvSQnbAblOu6l2ma5TFyiyqcslrk4rNBCx27u+5AdkDm3ZTswAMDvmshgm2Tk
        qkvCQT21Eun7YV0xJe6RGscsP3rMZjtBVuMspoEW3wqLzcdv628JOjoGZHwfsylq
        G9pHtDmaY0dsmLLuBk+Km0PA6APx7hI+sUdqawIDAQABAoIBADJuaefCwoNjvCzV
        Fez29tQ/c+AKc3l3g6SRUJHmKLcOSk5KPhm6JPGlIx/mnJQCgtLO81vsMXGkzoKZ
        J5M2dU4cA46BCzWVsvCtTkPF9VbX9/sGBhRCHmYizHzCBPoPfGHuRXnn+LoOrPOp
        yGl5XEA+731T1omx8reqL/jfHVSFfibAwmF2nfoLoMvwrqNtwe/nfT7WvKpDzSK8
        1/3Hdk/GOfECfLs7tZEWVLEesa1uMK9c74MtDU/ToEk6lTcEvpfc1nzXC5C8tyjf
        lBBqeTbT26F2sAMq7m/TLFE62GpwzWEyopJcG00elL//XpbFm62OqPxgjkrRZ1oj
        lx4ND+ECgYEA7ZidwSfUXwIKFMBiLcsRuvwhEWhnV2bhjfnixJy2ZnyhGxWesAh1
        1TreSYhDzv46a+GZ400DBDJEJj60J44cmUJh39GK0xXwddcwfJR01pZkD1af+Ilo
        6Oyazx8Y68DUPwrWlEi0dmLcmmOOvWIPAuOUJ0t8AXVM0zDK7sGnrjsCgYEAw+Rs
        Q5MMCJ1WcgqFvd73PvjIaCLD1K1J2HuaotXLXXqTyPP6Gyrmq1UTWiZB6idruHXW
        dLXBKpdyNmUW8GAaVmXuMU/N+wMJJk4OdYFLF/wEYRAX+f+mJAsZnzl1xWjuFGxy
        KEMQOGkJfpbvKP6BhgJaL2BDS6UiQULghdVmgZECgYEAqb5f7hArjFjjpOGxArBS
        kXjxkwM42Vt6BzmghgDD20JswvHWNkNFE7qD9pqwfyBn0o0RqS9q2UOkJoKjqKLB
        0ch4LjQA7z98VGQRkt9o/aniAIdNsH1TAx2OmCzKXBueRw/SL4wlyXJl0rMP1kNJ
        IDJAtTYbeNs5sKPqR1r5FeMCgYEAmwCWzg1/ux1MNqau1uOjfhd69DN2A0YvJXYA
        kRJcfZYtdBfhcjfLGA0UaAPXqkEREn9jdywOMfZt8C6jLQbOMEktZaWBFjp7teyT
        slThJ5RJnsgOQMoSG3kRCBV+Y/s4T77TwZn3LrumQJ2LlkN0F6aq18vy09tRtJQH
        dr66ApECgYEAidRzm31Kl0kIvn+0V73fogFWspjaOkq1aDmA4SOExlZfzXV2kP5q
        wNIYlj+3CjYM2vviSmXITDrgCvhNvddEs2hPtmC+YnVeErlUD3ZTSj8v6TfVb+dY
        QBxfXEMmqD2zNQwhNVkKGsSBRY01RA85WjgwLiLkcBznaG/Ytq4BdFo=
        -----END RSA PRIVATE KEY-----
        """

    /// `openssl rsa -noout -modulus` of the key above.
    static let traditionalRSA2048ModulusHex =
        "b5cf4091bb56d19a4ad738bf6f1426112f29b7e760a515d4349fe0804c87fea25495f46e10dfb810b3de547d4826da9fa04421c807f62b185274f63e5539d08d10d2d14c404073ee92513d42341771acfba99eb5283c4f253c6f77e385a7b61324bfe7549caff175720e6e354dff7d3a30b1452d21a9f6f70d67a761b4125baa409f8a0a9e95dfbd24276c06e53aeea5da66b94c5ca2caa72c96b938acd042c76eeefb901d9039b7653b3000c0ef9ac8609b64e4aa4bc2413db512e9fb615d3125ee911ac72c3f7acc663b4156e32ca68116df0a8bcdc76feb6f093a3a06647c1fb3296a1bda47b4399a63476c98b2ee064f8a9b43c0e803f1ee123eb1476a6b"

    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`
    static let pkcs8RSA1024 = """
        -----BEGIN PRIVATE KEY-----
        MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAOlzDCemJFUpLEIo
        ILozdC4vrRIMn7VMUlInQX752qbQ0/1HaDyczaIpyXwlyR2IR3AstFNDWSWoMsew
        CsypgiYKcil0qrzyRCbpcwuHukgEUYg/bnw2IYsTxPgk2idKP387t8l7mz82mJMs
        rsGFsiJShMGy1BJZi17DJdinFWSNAgMBAAECgYEAqgtEKklJo8KG23WRSTAbi1zs
        6v3JA20hdXfkrFHgo6vvDkmKMsRgwKNBgS2gzeMrbhkSDKg88kIPIwcnBqbeBeVG
        YvM2OM7edF99cAGr75jQmmyxnsSUmOLeQKpAPb7lhJtC3BShbs6TFatW8EYAj+CG
        CfDBV58WRjWHb+5y9MECQQD7MRg13Qv76naDh5y0FN3OqXHcqJgm4WUCTpGu0WFe
        zRiBidrQWWo9rU5R82pZ3Zk74ay+XRX6QzIOfeCZ/fdRAkEA7esCuamSwO5QwR54
        +687igmxZh/dMbhculbM3WPx1vGc6dBd/bCpLMxr2u1NOUPDphnTdLDxrTgGoacO
        CJUCfQJAAh+WHs5xjX2b5ty8nGEYxuhzx/O85Yc+PVjAroOimRSOwnmR2fUHiuHu
        KY8vNPdEllcACNPsnaL3x1uVDHgzIQJAGeJJh511Q9wpmPkRvIASADCRxkSNMg2W
        uQccfrGS7AmZQq7Sqvj/TspmqYjLsAE5VebVZIqjoG7J+ehM1I4xmQJAcGZ6fcmh
        QKZ9kEQ2XBcCA/Gir5u2A95Pfn8ooggcYoKGiOrid7Gus4/yaWiOrtuXx6HKmqgM
        rGxJuP5OyPFcKA==
        -----END PRIVATE KEY-----
        """

    /// `openssl genpkey -algorithm ed25519`
    static let pkcs8Ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIBgH93ekRw7DzEoXzR+dLe665Z/qcLgeb0xmSDcFoYaA
        -----END PRIVATE KEY-----
        """

    /// `openssl ecparam -name prime256v1 -genkey -noout`
    static let traditionalECP256 = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIDxIuavz0FVys3crO//bgrDUQPwNJL9o43nNkk5ZrcMRoAoGCCqGSM49
        AwEHoUQDQgAEZ4ahtfedxigzy1u0dh09qWvSZf40S7Of2/6v8um1xENUqMtQ6jwo
        b92Ty+KuodJhaTXzy+xkiMKd5ZjjCRnihg==
        -----END EC PRIVATE KEY-----
        """

    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x`
    static let encryptedPKCS8ECP256 = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgfvUkV3WCengICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEJQR2SM1Mtd3yulZ6nmXgGQEgZAl
        Vl8vudPfEfWuzUOdmv/GseyGz9sywYfNudc29w+RtdBGoqnqYas9uPyYaVIQ/yVC
        bR4nviqpWRxITOZgBx3MZA0WLv0OSjWk6cJralm2QJXb20SgdCefBdULQ9bbSCKt
        Nuv5Q5GoBoSwGRH9Jm45LNBcs42ql8PLbWHU7P2oBuIQMtGPjti5gCyWtk6fL9c=
        -----END ENCRYPTED PRIVATE KEY-----
        """
}
