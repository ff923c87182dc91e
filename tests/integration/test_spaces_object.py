# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""spaces_object against the sandbox's S3 server (moto)."""

from concurrent.futures import ThreadPoolExecutor
import hashlib
import sys
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.sandbox

REGION = "ams3"


@pytest.fixture
def s3(sandbox):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=sandbox.s3.endpoint, region_name=REGION,
                        aws_access_key_id=sandbox.spaces_key["id"], aws_secret_access_key=sandbox.spaces_key["secret"],
                        config=Config(s3={"addressing_style": "path"}))


@pytest.fixture
def bucket(s3):
    name = "obj-{0}".format(uuid.uuid4().hex[:10])
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def obj(bucket, **kwargs):
    return dict({"bucket": bucket, "region": REGION}, **kwargs)


def test_put_file_then_unchanged_get_and_delete(run_module, s3, bucket, tmp_path):
    src = tmp_path / "n8n.env"
    src.write_bytes(b"N8N_HOST=example\n" * 100)
    first = run_module("spaces_object", obj(bucket, mode="put", object="config/n8n.env", src=str(src)))
    assert first["changed"] is True, first
    assert first["api_calls"] == ["PUT /{0}/config/n8n.env 200".format(bucket)]
    stored = s3.get_object(Bucket=bucket, Key="config/n8n.env")
    assert stored["Body"].read() == src.read_bytes()
    assert stored["Metadata"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    again = run_module("spaces_object", obj(bucket, mode="put", object="config/n8n.env", src=str(src)))
    assert again["changed"] is False and again["api_calls"] == []

    dest = tmp_path / "copy.env"
    got = run_module("spaces_object", obj(bucket, mode="get", object="config/n8n.env", dest=str(dest)))
    assert got["changed"] is True and dest.read_bytes() == src.read_bytes()
    assert run_module("spaces_object", obj(bucket, mode="get", object="config/n8n.env", dest=str(dest)))["changed"] is False

    checked = run_module("spaces_object", obj(bucket, mode="delete", object="config/n8n.env"), check=True)
    assert checked["changed"] is True and checked["api_calls"] == ["DELETE /{0}/config/n8n.env".format(bucket)]
    assert s3.head_object(Bucket=bucket, Key="config/n8n.env")
    deleted = run_module("spaces_object", obj(bucket, mode="delete", object="config/n8n.env"))
    assert deleted["changed"] is True
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert run_module("spaces_object", obj(bucket, mode="delete", object="config/n8n.env"))["changed"] is False


def test_put_content_check_mode_and_overwrite_never(run_module, s3, bucket):
    checked = run_module("spaces_object", obj(bucket, mode="put", object="a.txt", content="hello"), check=True)
    assert checked["changed"] is True and checked["api_calls"] == ["PUT /{0}/a.txt".format(bucket)]
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    run_module("spaces_object", obj(bucket, mode="put", object="a.txt", content="hello"))
    kept = run_module("spaces_object", obj(bucket, mode="put", object="a.txt", content="other", overwrite="never"))
    assert kept["changed"] is False
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    replaced = run_module("spaces_object", obj(bucket, mode="put", object="a.txt", content="other"))
    assert replaced["changed"] is True
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"other"


def test_put_stream_from_command_goes_multipart(run_module, s3, bucket):
    size = 20 * 1024 * 1024 + 123
    command = [sys.executable, "-c",
               "import sys\nfor i in range({0}):\n    sys.stdout.buffer.write(bytes([i % 251]) * 1024)\n"
               "sys.stdout.buffer.write(b'x' * 123)".format(size // 1024)]
    result = run_module("spaces_object", obj(bucket, mode="put", object="dumps/big.bin", src_command=command))
    assert result["changed"] is True, result
    assert result["object"]["size"] == size
    calls = result["api_calls"]
    assert any("?uploads" in c for c in calls), calls
    assert sum("?partNumber&uploadId" in c for c in calls) == 3, calls  # 8 MiB parts
    head = s3.head_object(Bucket=bucket, Key="dumps/big.bin")
    assert head["ContentLength"] == size


def test_failing_command_uploads_nothing(run_module, s3, bucket):
    command = [sys.executable, "-c", "import sys; sys.stdout.write('partial' * 1000); sys.exit(3)"]
    result = run_module("spaces_object", obj(bucket, mode="put", object="dumps/bad.bin", src_command=command))
    assert result.get("failed") and "status 3" in result["msg"], result
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    big = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'y' * (20 * 1024 * 1024)); sys.exit(4)"]
    result = run_module("spaces_object", obj(bucket, mode="put", object="dumps/bad2.bin", src_command=big))
    assert result.get("failed") and "status 4" in result["msg"], result
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_list_with_prefix_paginates(run_module, s3, bucket):
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key="logs/{0:04d}".format(i), Body=b"z"), range(1002)))
    s3.put_object(Bucket=bucket, Key="other/x", Body=b"z")
    listed = run_module("spaces_object", obj(bucket, mode="list", prefix="logs/"))
    assert len(listed["objects"]) == 1002
    assert listed["objects"][0]["key"] == "logs/0000" and listed["objects"][0]["size"] == 1
    limited = run_module("spaces_object", obj(bucket, mode="list", prefix="logs/", max_keys=5))
    assert [o["key"] for o in limited["objects"]] == ["logs/{0:04d}".format(i) for i in range(5)]


def test_presigned_url_reads_the_object(run_module, s3, bucket):
    s3.put_object(Bucket=bucket, Key="reports/r.txt", Body=b"report")
    result = run_module("spaces_object", obj(bucket, mode="presign", object="reports/r.txt", expiration=600))
    assert result["changed"] is False and result["api_calls"] == []
    url = result["object"]["url"]
    assert "X-Amz-Expires=600" in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"report"


def test_unreachable_endpoint_fails_clearly(run_module, bucket):
    result = run_module("spaces_object", {"bucket": bucket, "region": REGION, "mode": "list",
                                          "spaces_endpoint": "http://127.0.0.1:9"})
    assert result.get("failed") and "127.0.0.1:9" in result["msg"] and "Spaces" in result["msg"], result
