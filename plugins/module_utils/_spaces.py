# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one Spaces (S3 API) client builder.

Private to the appplatform.n8n collection: it may change at any time.

Spaces buckets and objects are not part of the DigitalOcean API: they are served by an S3-compatible
API at ``https://<region>.digitaloceanspaces.com``. :func:`spaces_client` builds a boto3 S3 client for it:

* endpoint ``https://{region}.digitaloceanspaces.com``, or ``spaces_endpoint`` (env ``SPACES_ENDPOINT``),
  then path-style addressing (what S3-compatible test servers and proxies expect);
* keys from ``spaces_access_key_id``/``spaces_secret_access_key``, else the environment pair
  ``SPACES_ACCESS_KEY_ID``/``SPACES_SECRET_ACCESS_KEY``, else ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``;
* an optional CA bundle (``spaces_ca_bundle``, env ``SPACES_CA_BUNDLE``); TLS verification is never off;
* checksums only when an operation requires them (newer botocore adds CRC32 checksums to every upload,
  which S3-compatible stores reject or ignore), botocore's ``standard`` retry mode.

:class:`SpacesClient` records every HTTP exchange through a botocore event hook, so S3 modules report
the state-changing requests they sent in ``api_calls`` exactly as DigitalOcean API modules do; in check
mode :meth:`SpacesClient.write` sends nothing and records the planned request. S3 errors become
:class:`SpacesError` (an :class:`APIError`), so ``DOModule.run`` fails them with status, code and request id.

boto3 is imported here only: modules that do not import this file do not need it.
"""

from __future__ import annotations

import os
import subprocess
import traceback
from urllib.parse import parse_qsl, quote, urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.appplatform.n8n.plugins.module_utils._errors import APIError
from ansible_collections.appplatform.n8n.plugins.module_utils._version import USER_AGENT

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
except ImportError:  # pragma: no cover - reported through missing_required_lib
    BOTO3_IMPORT_ERROR = traceback.format_exc()
    boto3 = TransferConfig = Config = None
    BotoCoreError = ClientError = EndpointConnectionError = Exception

READ_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
DEFAULT_SIGNING_REGION = "us-east-1"
KEY_ENV_PAIRS = (("SPACES_ACCESS_KEY_ID", "SPACES_SECRET_ACCESS_KEY"), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))

# S3 error codes that mean "this does not exist" for a read.
NOT_FOUND_CODES = frozenset([
    "404", "NoSuchBucket", "NoSuchKey", "NotFound", "NoSuchCORSConfiguration", "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy", "NoSuchTagSet", "NoSuchUpload", "NoSuchVersion",
])

# Multipart transfers: parts of 8 MiB, at most 4 in flight and 4 buffered for non-seekable streams,
# so an upload from a pipe holds about 64 MiB of data at most, whatever the object size.
MULTIPART_CHUNKSIZE = 8 * 1024 * 1024
MULTIPART_CONCURRENCY = 4
MULTIPART_BUFFERED_CHUNKS = 4

# The options every Spaces (S3 API) module takes (documented by the doc fragment appplatform.n8n.spaces).
SPACES_ARGUMENT_SPEC = dict(
    region=dict(type="str", fallback=(env_fallback, ["SPACES_REGION"])),
    spaces_endpoint=dict(type="str", fallback=(env_fallback, ["SPACES_ENDPOINT"])),
    spaces_access_key_id=dict(type="str", no_log=False),
    spaces_secret_access_key=dict(type="str", no_log=True),
    spaces_ca_bundle=dict(type="path", fallback=(env_fallback, ["SPACES_CA_BUNDLE"])),
)


class SpacesError(APIError):
    """An S3 API call to Spaces that did not succeed."""

    def to_fail_kwargs(self):
        kwargs = super().to_fail_kwargs()
        kwargs["msg"] = "Spaces (S3 API) error: {0}".format(self)
        return kwargs


def endpoint_for(region, endpoint=None):
    """The S3 endpoint: ``endpoint`` when given, else the region's Spaces endpoint."""
    if endpoint:
        return endpoint.rstrip("/")
    if not region:
        return None
    return "https://{0}.digitaloceanspaces.com".format(region)


def credentials_from(params, environ=None):
    """``(access_key_id, secret)`` from the options, else from the first complete environment pair."""
    environ = os.environ if environ is None else environ
    key_id, secret = params.get("spaces_access_key_id"), params.get("spaces_secret_access_key")
    if key_id or secret:
        return key_id, secret
    for id_name, secret_name in KEY_ENV_PAIRS:
        if environ.get(id_name) and environ.get(secret_name):
            return environ[id_name], environ[secret_name]
    return None, None


def botocore_config(custom_endpoint):
    """Settings S3-compatible stores accept."""
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if custom_endpoint else "virtual"},
        retries={"mode": "standard", "max_attempts": 5},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra=USER_AGENT,
        connect_timeout=30,
        read_timeout=120,
    )


def transfer_config():
    """boto3 transfer settings with bounded memory (see ``MULTIPART_*``)."""
    config = TransferConfig(
        multipart_threshold=MULTIPART_CHUNKSIZE,
        multipart_chunksize=MULTIPART_CHUNKSIZE,
        max_concurrency=MULTIPART_CONCURRENCY,
        max_io_queue=MULTIPART_BUFFERED_CHUNKS * 2,
        io_chunksize=256 * 1024,
        use_threads=True,
    )
    # s3transfer's own knob (not a boto3 argument): parts read ahead from a non-seekable stream (default 10)
    config.max_in_memory_upload_chunks = MULTIPART_BUFFERED_CHUNKS
    return config


def _request_path(url, bucket):
    """``/bucket/key?sub1&sub2`` for a request URL, for path- and virtual-style addressing (query values dropped)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if bucket and not path.startswith("/" + bucket) and (parts.hostname or "").startswith(bucket + "."):
        path = "/" + bucket + (path if path != "/" else "")
    names = sorted(pair[0] for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0].lower() != "x-id")
    return path + ("?" + "&".join(names) if names else "")


class SpacesClient:
    """A boto3 S3 client for Spaces with call recording, check mode and one error type."""

    def __init__(self, region=None, endpoint=None, access_key_id=None, secret_access_key=None, ca_bundle=None,
                 check_mode=False, s3_client=None):
        self.region = region
        self.endpoint = endpoint_for(region, endpoint)
        self.check_mode = check_mode
        self.requests = []  # (method, path, status) of every HTTP exchange, retries included
        self.planned = []  # "METHOD /path" of writes skipped in check mode
        if s3_client is None:
            session = boto3.session.Session()
            s3_client = session.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=region or DEFAULT_SIGNING_REGION,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                verify=ca_bundle or True,
                config=botocore_config(bool(endpoint)),
            )
        self.s3 = s3_client
        self.s3.meta.events.register("needs-retry.s3", self._record)

    # -- recording ---------------------------------------------------------------------------

    def _record(self, **kwargs):
        request = kwargs.get("request_dict") or {}
        response = kwargs.get("response")
        status = response[0].status_code if response else "error"
        params = (request.get("context") or {}).get("input_params") or {}
        path = _request_path(request.get("url", ""), params.get("Bucket"))
        self.requests.append((request.get("method", "?").upper(), path, status))
        # returning None lets botocore's own retry handler decide

    @property
    def writes(self):
        """Write requests sent (``"METHOD /path status"``), or planned in check mode (``"METHOD /path"``)."""
        sent = ["{0} {1} {2}".format(m, p, s) for m, p, s in self.requests if m not in READ_METHODS]
        return sent + list(self.planned)

    def describe(self, operation, **kwargs):
        """``"METHOD /bucket/key?subresource"`` of an operation, from botocore's service model."""
        api_name = self.s3.meta.method_to_api_mapping.get(operation, operation)
        http = self.s3.meta.service_model.operation_model(api_name).http
        uri = http["requestUri"]
        uri = uri.replace("{Bucket}", kwargs.get("Bucket", "")).replace("{Key+}", quote(kwargs.get("Key", "")))
        path, query = (uri.split("?", 1) + [""])[:2]
        names = sorted(q.split("=")[0] for q in query.split("&") if q and q.split("=")[0] != "x-id")
        return "{0} {1}".format(http["method"], path.rstrip("/") or "/") + ("?" + "&".join(names) if names else "")

    # -- calls -------------------------------------------------------------------------------

    def error(self, exc, operation):
        """A :class:`SpacesError` for a botocore exception."""
        if isinstance(exc, ClientError):
            err = exc.response.get("Error") or {}
            meta = exc.response.get("ResponseMetadata") or {}
            status = meta.get("HTTPStatusCode")
            code = err.get("Code")
            if code in NOT_FOUND_CODES:
                status = 404
            return SpacesError(err.get("Message") or code or str(exc), status=status, error_id=code,
                               request_id=meta.get("RequestId"), operation="s3." + operation,
                               ambiguous=status is None or status >= 500)
        if isinstance(exc, EndpointConnectionError):
            return SpacesError("could not connect to {0}: {1}".format(self.endpoint, exc), operation="s3." + operation)
        return SpacesError("no usable answer: {0}".format(exc), operation="s3." + operation, ambiguous=True)

    def call(self, operation, **kwargs):
        """Call a boto3 S3 method (``"get_bucket_cors"``) and return its response; :class:`SpacesError` otherwise."""
        try:
            return getattr(self.s3, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, operation)

    def get(self, operation, **kwargs):
        """Like :meth:`call`, but ``None`` when the bucket, object or configuration does not exist."""
        try:
            return self.call(operation, **kwargs)
        except SpacesError as exc:
            if exc.not_found:
                return None
            raise

    def write(self, operation, **kwargs):
        """A state-changing call: sent, or in check mode recorded as planned and not sent."""
        if self.check_mode:
            self.planned.append(self.describe(operation, **kwargs))
            return None
        return self.call(operation, **kwargs)

    def paginate(self, operation, result_key, **kwargs):
        """Every item of a paginated listing (``list_objects_v2`` → ``Contents``...)."""
        items = []
        try:
            for page in self.s3.get_paginator(operation).paginate(**kwargs):
                items.extend(page.get(result_key) or [])
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, operation)
        return items

    def iterate(self, operation, **kwargs):
        """The pages of a paginated listing, one at a time (bounded memory for large buckets)."""
        try:
            yield from self.s3.get_paginator(operation).paginate(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, operation)

    def transfer(self, operation, *args, **kwargs):
        """``upload_fileobj``/``upload_file``/``download_file``... through the bounded-memory transfer manager."""
        kwargs.setdefault("Config", transfer_config())
        try:
            return getattr(self.s3, operation)(*args, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, operation)
        except Exception as exc:  # s3transfer wraps failures of a part in its own exception types
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, (ClientError, BotoCoreError)):
                raise self.error(cause, operation)
            raise self.error(exc, operation)

    def presign(self, operation, params, expires_in):
        """A presigned URL (computed locally: no request is sent)."""
        return self.s3.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)


class CommandStream:
    """For uploads from a command: a read-only file object over the command's standard output.

    At EOF it fails when the command failed, so the transfer is aborted instead of completing with truncated data.
    """

    def __init__(self, argv):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # pylint: disable=consider-using-with
        self.size = 0

    def read(self, size=-1):
        data = self.proc.stdout.read(size)
        if not data:
            self._check()
        self.size += len(data)
        return data

    def _check(self):
        stderr = self.proc.stderr.read()
        code = self.proc.wait()
        if code != 0:
            raise CommandFailed("{0} exited with status {1}: {2}".format(self.argv[0], code,
                                                                         stderr.decode("utf-8", "replace")[-2000:]))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class CommandFailed(Exception):
    pass


def spaces_client(m):
    """Build the :class:`SpacesClient` of a ``DOModule`` from its Spaces options, and attach it to the module.

    Fails the task when boto3 is missing or when no endpoint or keys are known.
    """
    params = m.params
    if BOTO3_IMPORT_ERROR:
        m.module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)
    endpoint = params.get("spaces_endpoint")
    if not endpoint and not params.get("region"):
        m.module.fail_json(msg="Set region (for example ams3) or spaces_endpoint to reach Spaces.")
    key_id, secret = credentials_from(params)
    if not key_id or not secret:
        m.module.fail_json(msg="No Spaces access key: set spaces_access_key_id and spaces_secret_access_key, or the "
                               "SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY) environment variables.")
    m.module.no_log_values.add(secret)  # a secret taken from the environment is masked in output too
    client = SpacesClient(region=params.get("region"), endpoint=endpoint, access_key_id=key_id,
                          secret_access_key=secret, ca_bundle=params.get("spaces_ca_bundle"), check_mode=m.check_mode)
    m.spaces = client
    return client
