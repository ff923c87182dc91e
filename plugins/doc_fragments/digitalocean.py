# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every module that talks to the DigitalOcean API.
    DOCUMENTATION = r"""
options:
  token:
    description:
      - DigitalOcean API token.
      - If not set, the first of the environment variables E(DIGITALOCEAN_TOKEN), E(DIGITALOCEAN_ACCESS_TOKEN)
        and E(DO_API_TOKEN) that is set is used.
      - Set it once for all modules of the collection with C(module_defaults) and the action group
        C(group/appplatform.n8n.digitalocean).
    type: str
  api_endpoint:
    description:
      - Base URL of the DigitalOcean API.
      - If not set, the environment variable E(DIGITALOCEAN_API_ENDPOINT) is used, then U(https://api.digitalocean.com).
      - Only HTTPS endpoints are accepted.
    type: str
  ca_bundle:
    description:
      - A PEM file of certificate authorities trusted for the API endpoint, in place of the system's.
      - If not set, the environment variable E(DIGITALOCEAN_CA_BUNDLE) is used.
      - TLS certificate verification is never turned off.
    type: path
  api_timeout:
    description:
      - Total time in seconds one API call may take, retries included.
      - Reads, and writes the API did not receive, are retried on rate limits (HTTP 429, honouring
        C(Retry-After) and C(ratelimit-reset)), server errors and network errors, with capped exponential backoff.
      - A create that fails in a way that leaves it unknown whether it was applied is never repeated blindly;
        the module looks the resource up by name first.
    type: int
    default: 300
requirements:
  - pydo
  - azure-core
notes:
  - Modules report the state-changing API calls they made (or, in check mode, would make) in C(api_calls).
"""

    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/appplatform.n8n.digitalocean) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - appplatform.n8n.digitalocean
"""

    CHECK_DIFF = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

    INFO = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: This is an information module; it changes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""
