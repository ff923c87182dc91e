# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every module that talks to the Spaces S3 API (buckets and objects).
    DOCUMENTATION = r"""
options:
  region:
    description:
      - Spaces region slug, for example C(ams3) or C(fra1). It selects the endpoint
        C(https://<region>.digitaloceanspaces.com) and the region new buckets are created in.
      - If not set, the environment variable E(SPACES_REGION) is used.
      - Required unless O(spaces_endpoint) is set.
    type: str
  spaces_endpoint:
    description:
      - URL of an S3-compatible endpoint to use instead of C(https://<region>.digitaloceanspaces.com),
        for example a local test server. Requests to a custom endpoint use path-style addressing.
      - If not set, the environment variable E(SPACES_ENDPOINT) is used.
    type: str
  spaces_access_key_id:
    description:
      - Spaces access key ID (see M(appplatform.n8n.spaces_key)).
      - If neither this nor O(spaces_secret_access_key) is set, the environment variables
        E(SPACES_ACCESS_KEY_ID) and E(SPACES_SECRET_ACCESS_KEY) are used, then E(AWS_ACCESS_KEY_ID) and
        E(AWS_SECRET_ACCESS_KEY).
    type: str
  spaces_secret_access_key:
    description:
      - Secret of the Spaces access key. See O(spaces_access_key_id) for the environment variables used when unset.
    type: str
  spaces_ca_bundle:
    description:
      - A PEM file of certificate authorities trusted for the Spaces endpoint, in place of the system's.
      - If not set, the environment variable E(SPACES_CA_BUNDLE) is used.
      - TLS certificate verification is never turned off.
    type: path
requirements:
  - boto3
notes:
  - Buckets and objects are reached through the S3 API of Spaces with boto3, not through the DigitalOcean API.
    The DigitalOcean API options (O(token), O(api_endpoint)...) are accepted so that C(module_defaults) of the
    action group apply, and are not used.
  - Checksums are only sent when an S3 operation requires them, which S3-compatible stores accept.
  - The module reports the state-changing S3 requests it sent (or, in check mode, would send) in C(api_calls).
"""
