# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stateful, contract-validated DigitalOcean API emulator (a test double of the public API)."""

from .core import ApiError, Emulator, route  # noqa: F401
