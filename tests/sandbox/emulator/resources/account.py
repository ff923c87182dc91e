# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Account (tag ``Account``): GET /v2/account, used to check a token."""

from ..core import route

ACCOUNT = {"droplet_limit": 25, "floating_ip_limit": 5, "volume_limit": 100, "email": "sandbox@example.com",
           "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef", "email_verified": True, "status": "active",
           "status_message": "", "team": {"uuid": "5df3e3004a17e242b7c20ca6c9fc25b701a47ece", "name": "sandbox"}}


@route("GET", "/v2/account")
def get_account(ctx):
    return 200, {"account": ACCOUNT}
