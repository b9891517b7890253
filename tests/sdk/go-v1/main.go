// An AWS SDK for Go v1 client as a user would write it: the default session (credentials
// from the SDK's own chain, nothing passed in code), then sts GetCallerIdentity and an S3
// PutObject. Run: sdk-go-v1 ENDPOINT_URL BUCKET KEY [ROUNDS PAUSE_SECONDS]. One JSON line
// per round on stdout; an SDK error on stderr with exit 1.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/aws/aws-sdk-go/service/sts"
)

func main() {
	endpoint, bucket, key := os.Args[1], os.Args[2], os.Args[3]
	rounds, pause := 1, 0.0
	if len(os.Args) > 5 {
		rounds, _ = strconv.Atoi(os.Args[4])
		pause, _ = strconv.ParseFloat(os.Args[5], 64)
	}
	// Verbose chain errors: without them v1 reports only NoCredentialProviders, not what the
	// credential source answered (docs/tes.md).
	sess, err := session.NewSession(&aws.Config{Endpoint: aws.String(endpoint), S3ForcePathStyle: aws.Bool(true),
		CredentialsChainVerboseErrors: aws.Bool(true)})
	fail(err)
	stsClient, s3Client := sts.New(sess), s3.New(sess)
	for i := 0; i < rounds; i++ {
		if i > 0 {
			time.Sleep(time.Duration(pause * float64(time.Second)))
		}
		who, err := stsClient.GetCallerIdentity(&sts.GetCallerIdentityInput{})
		fail(err)
		put, err := s3Client.PutObject(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: strings.NewReader(fmt.Sprintf("round %d from aws-sdk-go", i))})
		fail(err)
		creds, err := sess.Config.Credentials.Get()
		fail(err)
		line, _ := json.Marshal(map[string]string{"sdk": "aws-sdk-go", "version": aws.SDKVersion,
			"arn": *who.Arn, "access_key_id": creds.AccessKeyID, "provider": creds.ProviderName, "etag": *put.ETag})
		fmt.Println(string(line))
	}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
