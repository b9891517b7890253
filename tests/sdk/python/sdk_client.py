"""The boto3 client of the same shape as the Go and Ruby ones (tests/sdk/README.md): default
session, sts GetCallerIdentity, S3 PutObject. Run: sdk_client.py ENDPOINT_URL BUCKET KEY
[ROUNDS PAUSE_SECONDS]. One JSON line per round on stdout; an SDK error on stderr, exit 1."""
import json
import sys
import time

import boto3
import botocore
import botocore.config
import botocore.exceptions

endpoint, bucket, key = sys.argv[1:4]
rounds, pause = (int(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else (1, 0.0)
session = boto3.Session()
try:
    sts = session.client("sts", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint, config=botocore.config.Config(s3={"addressing_style": "path"}))
    for i in range(rounds):
        if i:
            time.sleep(pause)
        who = sts.get_caller_identity()
        put = s3.put_object(Bucket=bucket, Key=key, Body=f"round {i} from boto3".encode())
        creds = session.get_credentials()
        print(json.dumps({"sdk": "botocore", "version": botocore.__version__, "arn": who["Arn"],
                          "access_key_id": creds.get_frozen_credentials().access_key, "provider": creds.method,
                          "etag": put["ETag"]}), flush=True)
except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, RuntimeError) as e:
    print(f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
