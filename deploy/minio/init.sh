#!/bin/sh
# The compose `minio-init` job (minio/mc image): the lake bucket, a user that can use that
# bucket only (the pipelines and the API use it), and a read-only user limited to the bucket's
# lake/ prefix (the dashboards use it: they hold no key that can write). MinIO's root stays here.
# Idempotent: safe at every start. See docs/security.md.
set -eu

value=""
for name in MINIO_ROOT_PASSWORD AWS_SECRET_ACCESS_KEY PITWALL_READER_AWS_SECRET_ACCESS_KEY; do
  eval "value=\${$name:-}"
  case "$value" in
    "" | change-me) echo "minio-init: $name is empty or still change-me" >&2; exit 2 ;;
  esac
done

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

reader_policy=/tmp/pitwall-lake-reader-policy.json
cat > "$reader_policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation"],
     "Resource": ["arn:aws:s3:::$PITWALL_LAKE_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:ListBucket"],
     "Resource": ["arn:aws:s3:::$PITWALL_LAKE_BUCKET"],
     "Condition": {"StringLike": {"s3:prefix": ["lake", "lake/*"]}}},
    {"Effect": "Allow", "Action": ["s3:GetObject"],
     "Resource": ["arn:aws:s3:::$PITWALL_LAKE_BUCKET/lake/*"]}
  ]
}
JSON
mc admin policy create lake pitwall-lake-reader "$reader_policy"
mc admin user add lake "$PITWALL_READER_AWS_ACCESS_KEY_ID" "$PITWALL_READER_AWS_SECRET_ACCESS_KEY"
mc admin policy attach lake pitwall-lake-reader --user "$PITWALL_READER_AWS_ACCESS_KEY_ID" \
  || true  # already attached
