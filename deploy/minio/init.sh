#!/bin/sh
# The compose `minio-init` job (minio/mc image): the lake bucket, and a user that can use that
# bucket only (the pipelines, the API and the dashboards use it; MinIO's root stays here).
# Idempotent: safe at every start.
set -eu

mc alias set lake "http://minio:9000" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "lake/$PITWALL_LAKE_BUCKET"
mc version enable "lake/$PITWALL_LAKE_BUCKET"

policy=/tmp/pitwall-lake-policy.json
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
     "Resource": ["arn:aws:s3:::$PITWALL_LAKE_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": ["arn:aws:s3:::$PITWALL_LAKE_BUCKET/*"]}
  ]
}
JSON
mc admin policy create lake pitwall-lake "$policy"
mc admin user add lake "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
mc admin policy attach lake pitwall-lake --user "$AWS_ACCESS_KEY_ID" || true  # already attached
