# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The local sandbox: a DigitalOcean API emulator, moto's S3 server, real PostgreSQL and Redis.

Test infrastructure only: never shipped in the collection, never imported by plugins.
"""
