// An AWS SDK for Go v2 client as a user would write it: config.LoadDefaultConfig (credentials
// from the SDK's own chain, nothing passed in code), then sts GetCallerIdentity and an S3
// PutObject. Run: sdk-go-v2 ENDPOINT_URL BUCKET KEY [ROUNDS PAUSE_SECONDS]. One JSON line
// per round on stdout; an SDK error on stderr with exit 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	endpoint, bucket, key := os.Args[1], os.Args[2], os.Args[3]
	rounds, pause := 1, 0.0
	if len(os.Args) > 5 {
		rounds, _ = strconv.Atoi(os.Args[4])
		pause, _ = strconv.ParseFloat(os.Args[5], 64)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	fail(err)
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.EndpointResolver = sts.EndpointResolverFromURL(endpoint) })
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.EndpointResolver = s3.EndpointResolverFromURL(endpoint)
		o.UsePathStyle = true
	})
	for i := 0; i < rounds; i++ {
		if i > 0 {
			time.Sleep(time.Duration(pause * float64(time.Second)))
		}
		who, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		fail(err)
		put, err := s3Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: strings.NewReader(fmt.Sprintf("round %d from aws-sdk-go-v2", i))})
		fail(err)
		creds, err := cfg.Credentials.Retrieve(ctx)
		fail(err)
		line, _ := json.Marshal(map[string]string{"sdk": "aws-sdk-go-v2", "arn": *who.Arn,
			"access_key_id": creds.AccessKeyID, "provider": creds.Source, "etag": *put.ETag})
		fmt.Println(string(line))
	}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
