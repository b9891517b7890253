#!/usr/bin/env python3
"""Creates, in a running moto_server, the IAM user whose keys sign credvend's
STS calls and one role per role ARN in a roles file (trusting that user), then
switches signature checking on. Prints the user's keys as shell exports."""
import json
import sys
import urllib.request

import boto3


def main(url: str, roles_file: str) -> None:
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="credvend")
    key = iam.create_access_key(UserName="credvend")["AccessKey"]
    iam.put_user_policy(UserName="credvend", PolicyName="assume-server-roles", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    account = "123456789012"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/credvend"},
        "Action": "sts:AssumeRole"}]})
    for rec in json.load(open(roles_file)):
        arn = rec["role_arn"]
        if arn.split(":")[4] != account:
            continue  # moto's default account only; AssumeRole elsewhere is not checked by moto
        path_and_name = arn.split(":role", 1)[1]
        path, name = path_and_name.rsplit("/", 1)
        iam.create_role(RoleName=name, Path=(path + "/") if path else "/", AssumeRolePolicyDocument=trust,
                        MaxSessionDuration=43200)
    req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=10).read()
    print(f"export AWS_ACCESS_KEY_ID={key['AccessKeyId']}")
    print(f"export AWS_SECRET_ACCESS_KEY={key['SecretAccessKey']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
