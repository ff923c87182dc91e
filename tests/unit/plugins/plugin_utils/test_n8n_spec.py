# -*- coding: utf-8 -*-
# Copyright (c) appplatform.n8n contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Behaviour of the pure n8n app spec renderer, pinned setting by setting."""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.appplatform.n8n.plugins.plugin_utils import _n8n_spec as m
from ansible_collections.appplatform.n8n.tests.unit.n8n_helpers import (
    ENCRYPTION_KEY,
    OWNER_HASH,
    RUNNERS_TOKEN,
    all_components,
    base_settings,
    component,
    env_values,
    envs,
    n8n_components,
    render,
    runner_components,
)

TIERS = m.TIERS


# --------------------------------------------------------------------------- image

@pytest.mark.parametrize("tier", TIERS)
def test_default_image_is_pinned_to_the_newest_runnable_2_41_release(tier):
    spec = render(tier)
    assert m.DEFAULT_N8N_VERSION == "2.41.1"
    for comp in all_components(spec):
        assert comp["image"]["tag"] == "2.41.1"
        assert comp["image"]["registry_type"] == "GHCR"
        assert comp["image"]["registry"] == "ghcr.io"
        assert "digest" not in comp["image"]


def test_runner_image_tag_equals_the_n8n_tag():
    spec = render("production", n8n_version="2.40.7", worker_count=3)
    runners = runner_components(spec)
    assert len(runners) == 3
    assert {r["image"]["repository"] for r in runners} == {"n8n-io/runners"}
    assert {c["image"]["tag"] for c in all_components(spec)} == {"2.40.7"}


@pytest.mark.parametrize("version", ["latest", "LATEST", " latest "])
def test_latest_tag_is_refused(version):
    with pytest.raises(m.N8nSpecError, match="never 'latest'"):
        render("simple", n8n_version=version)


@pytest.mark.parametrize("version", ["2.41", "2", "next", "2.41.1-beta", "sha256:abc"])
def test_unpinned_versions_are_refused(version):
    with pytest.raises(m.N8nSpecError, match="not a pinned release"):
        render("simple", n8n_version=version)


def test_n8n_1_x_is_refused_because_the_settings_are_for_2_x():
    with pytest.raises(m.N8nSpecError, match="n8n 2.x"):
        render("queue", n8n_version="1.122.2")


# --------------------------------------------------------------------------- postgres

@pytest.mark.parametrize("tier", TIERS)
def test_postgres_over_tls_verified_with_the_cluster_ca(tier):
    spec = render(tier, db_cluster_name="my-pg", db_component="pg")
    assert spec["databases"][0] == {"name": "pg", "engine": "PG", "version": "17", "production": True,
                                    "cluster_name": "my-pg"}
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["DB_TYPE"] == "postgresdb"
        assert values["DB_POSTGRESDB_SSL_CA"] == "${pg.CA_CERT}"
        assert values["DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED"] == "true"
        assert values["DB_POSTGRESDB_SSL_ENABLED"] == "true"
        assert values["DB_POSTGRESDB_HOST"] == "${pg.HOSTNAME}"
        assert values["DB_POSTGRESDB_PORT"] == "${pg.PORT}"
        assert values["DB_POSTGRESDB_DATABASE"] == "${pg.DATABASE}"
        assert values["DB_POSTGRESDB_USER"] == "${pg.USERNAME}"
        assert values["DB_POSTGRESDB_PASSWORD"] == "${pg.PASSWORD}"


def test_cluster_name_defaults_to_the_app_name():
    spec = render("queue", app_name="acme")
    assert [d["cluster_name"] for d in spec["databases"]] == ["acme-pg", "acme-valkey"]


def test_db_name_and_user_are_passed_through():
    spec = render("simple", db_name="n8n", db_user="n8n")
    assert spec["databases"][0]["db_name"] == "n8n"
    assert spec["databases"][0]["db_user"] == "n8n"


# --------------------------------------------------------------------------- pool size

@pytest.mark.parametrize("slug, ram", [
    ("db-s-1vcpu-1gb", 1), ("db-s-1vcpu-2gb", 2), ("db-s-2vcpu-4gb", 4), ("db-s-4vcpu-8gb", 8),
    ("db-s-6vcpu-16gb", 16), ("db-amd-2vcpu-8gb", 8), ("gd-4vcpu-16gb", 16), ("so1_5-2vcpu-16gb", 16),
])
def test_db_ram_is_read_from_the_size_slug(slug, ram):
    assert m.db_ram_gb(slug) == ram
    assert m.db_connection_limit(slug) == 25 * ram - 3


@pytest.mark.parametrize("slug", ["db-s-1vcpu", "apps-s-1vcpu", "", "1gb"])
def test_unreadable_db_size_is_refused(slug):
    with pytest.raises(m.N8nSpecError, match="cannot read the RAM"):
        m.db_ram_gb(slug)


@pytest.mark.parametrize("slug, processes, pool_max, expected", [
    ("db-s-1vcpu-1gb", 1, 10, 10),   # 22 connections, capped at 10
    ("db-s-1vcpu-1gb", 3, 10, 7),    # 22 // 3
    ("db-s-1vcpu-1gb", 22, 10, 1),   # exactly one each
    ("db-s-1vcpu-2gb", 5, 10, 9),    # 47 // 5
    ("db-s-2vcpu-4gb", 9, 10, 10),   # 97 // 9 = 10
    ("db-s-4vcpu-8gb", 9, 50, 21),   # 197 // 9
])
def test_pool_size_math(slug, processes, pool_max, expected):
    assert m.db_pool_size(slug, processes, pool_max) == expected
    assert expected * processes <= m.db_connection_limit(slug)


def test_pool_size_fails_clearly_when_one_connection_per_process_does_not_fit():
    with pytest.raises(m.N8nSpecError, match=r"allows 22 connections .* runs 23 n8n processes"):
        m.db_pool_size("db-s-1vcpu-1gb", 23)


def test_rendered_spec_fails_when_workers_exceed_the_connection_limit():
    with pytest.raises(m.N8nSpecError, match="choose a larger n8n_spec_db_size or fewer workers"):
        render("queue", db_size="db-s-1vcpu-1gb", worker_count=22)  # 23 processes > 22


def test_explicit_pool_size_is_checked_against_the_limit():
    assert env_values(render("queue", db_size="db-s-1vcpu-1gb", worker_count=1, db_pool_size=11)
                      ["services"][0])["DB_POSTGRESDB_POOL_SIZE"] == "11"
    with pytest.raises(m.N8nSpecError, match="exceeds the 22 connections"):
        render("queue", db_size="db-s-1vcpu-1gb", worker_count=1, db_pool_size=12)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("workers", range(1, 9))
@pytest.mark.parametrize("db_size", ["db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-s-4vcpu-8gb"])
def test_all_n8n_processes_together_stay_under_the_connection_limit(tier, workers, db_size):
    if tier == "production" and db_size == "db-s-1vcpu-1gb":
        pytest.skip("no standby nodes at 1 GB: see test_ha_postgres_needs_2_gb")
    spec = render(tier, worker_count=workers, db_size=db_size)
    limit = m.db_connection_limit(db_size)
    assert 0 < m.max_pool_total(spec) <= limit
    pools = {env_values(c)["DB_POSTGRESDB_POOL_SIZE"] for c in n8n_components(spec)}
    assert len(pools) == 1
    for comp in runner_components(spec):
        assert "DB_POSTGRESDB_POOL_SIZE" not in env_values(comp)


def test_ha_postgres_needs_2_gb():
    assert m.render_plan("production", base_settings())["postgres"]["size"] == "db-s-1vcpu-2gb"
    assert m.render_plan("simple", base_settings())["postgres"]["size"] == "db-s-1vcpu-1gb"
    with pytest.raises(m.N8nSpecError, match="standby nodes"):
        render("production", db_size="db-s-1vcpu-1gb")
    with pytest.raises(m.N8nSpecError, match="standby nodes"):
        render("queue", db_size="db-s-1vcpu-1gb", db_num_nodes=2)


def test_multi_main_instances_count_towards_the_pool():
    settings = base_settings(main_instance_count=3, multi_main_licensed=True, worker_count=2,
                             db_size="db-s-1vcpu-1gb")
    plan = m.render_plan("queue", settings)
    assert plan["n8n_processes"] == 5
    assert plan["postgres"]["pool_size"] == 22 // 5


# --------------------------------------------------------------------------- key, urls, misc env

@pytest.mark.parametrize("tier", TIERS)
def test_encryption_key_is_identical_secret_on_every_n8n_component(tier):
    spec = render(tier, worker_count=3)
    comps = n8n_components(spec)
    assert len(comps) >= 1
    for comp in comps:
        entry = envs(comp)["N8N_ENCRYPTION_KEY"]
        assert entry == {"key": "N8N_ENCRYPTION_KEY", "value": ENCRYPTION_KEY, "scope": "RUN_TIME", "type": "SECRET"}
    for comp in runner_components(spec):
        assert "N8N_ENCRYPTION_KEY" not in envs(comp)


@pytest.mark.parametrize("key", [None, "", "<REQUIRED>"])
def test_missing_encryption_key_is_refused_never_generated(key):
    with pytest.raises(m.N8nSpecError, match="n8n_spec_encryption_key is required"):
        m.render_app_spec("simple", dict(base_settings(), encryption_key=key))


@pytest.mark.parametrize("tier", TIERS)
def test_external_runners_require_the_runners_token(tier):
    with pytest.raises(m.N8nSpecError, match="n8n_spec_runners_auth_token is required"):
        m.render_app_spec(tier, dict(base_settings(), runners_auth_token=None))


@pytest.mark.parametrize("tier", ["simple", "queue"])
def test_internal_runners_need_no_token(tier):
    spec = m.render_app_spec(tier, dict(base_settings(), runners_auth_token=None, runners_mode="internal"))
    assert runner_components(spec) == []
    for comp in n8n_components(spec):
        assert "N8N_RUNNERS_AUTH_TOKEN" not in envs(comp)


@pytest.mark.parametrize("tier", TIERS)
def test_urls_proxy_hops_and_diagnostics_default_to_app_url(tier):
    spec = render(tier)
    main = env_values(component(spec, "n8n-main"))
    assert main["N8N_PROXY_HOPS"] == "1"
    assert main["N8N_PORT"] == "5678"
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["N8N_EDITOR_BASE_URL"] == "${APP_URL}"
        assert values["N8N_WEBHOOK_URL"] == "${APP_URL}/"
        assert values["N8N_DIAGNOSTICS_ENABLED"] == "false"
    for comp in all_components(spec):
        assert "WEBHOOK_URL" not in envs(comp)  # deprecated in 2.x
    assert "domains" not in spec


def test_custom_domain_sets_urls_and_domain_entry():
    spec = render("queue", domain="n8n.example.com", domain_zone="example.com")
    assert spec["domains"] == [{"domain": "n8n.example.com", "type": "PRIMARY", "minimum_tls_version": "1.2",
                                "zone": "example.com"}]
    for comp in n8n_components(spec):
        assert env_values(comp)["N8N_EDITOR_BASE_URL"] == "https://n8n.example.com"
        assert env_values(comp)["N8N_WEBHOOK_URL"] == "https://n8n.example.com/"


@pytest.mark.parametrize("domain", ["https://n8n.example.com", "n8n.example.com/path", "localhost"])
def test_domain_must_be_a_hostname(domain):
    with pytest.raises(m.N8nSpecError, match="is not a hostname"):
        render("simple", domain=domain)


@pytest.mark.parametrize("level", m.LOG_LEVELS)
def test_valid_log_levels_are_rendered(level):
    assert env_values(render("simple", log_level=level)["services"][0])["N8N_LOG_LEVEL"] == level


@pytest.mark.parametrize("level", ["verbose", "trace", "INFO"])
def test_invalid_log_levels_are_refused(level):
    with pytest.raises(m.N8nSpecError, match="log_level"):
        render("simple", log_level=level)


def test_execution_saving_and_pruning_come_from_settings():
    spec = render("queue", executions_save_on_success="none", executions_save_on_error="all",
                  executions_save_manual=False, executions_save_on_progress=True, executions_prune=True,
                  executions_max_age_hours=720, executions_prune_max_count=50000)
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["EXECUTIONS_DATA_SAVE_ON_SUCCESS"] == "none"
        assert values["EXECUTIONS_DATA_SAVE_ON_ERROR"] == "all"
        assert values["EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS"] == "false"
        assert values["EXECUTIONS_DATA_SAVE_ON_PROGRESS"] == "true"
        assert values["EXECUTIONS_DATA_PRUNE"] == "true"
        assert values["EXECUTIONS_DATA_MAX_AGE"] == "720"
        assert values["EXECUTIONS_DATA_PRUNE_MAX_COUNT"] == "50000"


def test_execution_defaults_match_n8n_defaults():
    values = env_values(render("simple")["services"][0])
    assert values["EXECUTIONS_DATA_MAX_AGE"] == "336"
    assert values["EXECUTIONS_DATA_PRUNE_MAX_COUNT"] == "10000"
    assert values["EXECUTIONS_DATA_PRUNE"] == "true"


@pytest.mark.parametrize("tier", TIERS)
def test_timezone_reaches_n8n_and_runners(tier):
    spec = render(tier, timezone="Europe/Amsterdam")
    for comp in n8n_components(spec) + runner_components(spec):
        assert env_values(comp)["GENERIC_TIMEZONE"] == "Europe/Amsterdam"
        assert env_values(comp)["TZ"] == "Europe/Amsterdam"


def test_owner_bootstrap_is_rendered_on_main_only():
    spec = render("queue", owner_email="owner@example.com", owner_password_hash=OWNER_HASH,
                  owner_first_name="Ada", owner_last_name="Lovelace")
    main = envs(component(spec, "n8n-main"))
    assert main["N8N_INSTANCE_OWNER_MANAGED_BY_ENV"]["value"] == "true"
    assert main["N8N_INSTANCE_OWNER_EMAIL"]["value"] == "owner@example.com"
    assert main["N8N_INSTANCE_OWNER_PASSWORD_HASH"] == {"key": "N8N_INSTANCE_OWNER_PASSWORD_HASH", "value": OWNER_HASH,
                                                        "scope": "RUN_TIME", "type": "SECRET"}
    assert main["N8N_INSTANCE_OWNER_FIRST_NAME"]["value"] == "Ada"
    assert "N8N_INSTANCE_OWNER_EMAIL" not in envs(component(spec, "n8n-worker-1"))
    assert "N8N_INSTANCE_OWNER_EMAIL" not in envs(component(render("queue"), "n8n-main"))


def test_owner_bootstrap_refuses_plain_passwords_and_half_settings():
    with pytest.raises(m.N8nSpecError, match="bcrypt"):
        render("simple", owner_email="owner@example.com", owner_password_hash="hunter2")
    with pytest.raises(m.N8nSpecError, match="needs both"):
        render("simple", owner_email="owner@example.com")


@pytest.mark.parametrize("tier", TIERS)
def test_community_packages_are_reinstalled_and_declared(tier):
    spec = render(tier, community_packages=[{"name": "n8n-nodes-foo", "version": "1.2.3"}, "@acme/n8n-nodes-bar"])
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["N8N_REINSTALL_MISSING_PACKAGES"] == "true"
        assert values["N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV"] == "true"
        assert json.loads(values["N8N_COMMUNITY_PACKAGES"]) == [
            {"name": "n8n-nodes-foo", "version": "1.2.3"}, {"name": "@acme/n8n-nodes-bar"}]
    plain = env_values(render(tier)["services"][0])
    assert plain["N8N_REINSTALL_MISSING_PACKAGES"] == "true"
    assert "N8N_COMMUNITY_PACKAGES" not in plain


def test_bad_community_package_names_are_refused():
    with pytest.raises(m.N8nSpecError, match="community_packages"):
        render("simple", community_packages=[{"name": "Bad Name; rm -rf"}])


# --------------------------------------------------------------------------- health checks

def _budget(check):
    return check["initial_delay_seconds"] + check["period_seconds"] * check["failure_threshold"]


@pytest.mark.parametrize("tier", TIERS)
def test_main_readiness_survives_long_migrations_and_liveness_is_healthz(tier):
    main = component(render(tier), "n8n-main")
    ready, live = main["health_check"], main["liveness_health_check"]
    assert ready["http_path"] == "/healthz/readiness"
    assert ready["port"] == 5678
    assert _budget(ready) >= 15 * 60
    assert live["http_path"] == "/healthz"
    assert live["success_threshold"] == 1
    assert 1 <= live["failure_threshold"] <= 50
    assert live["initial_delay_seconds"] >= 60


@pytest.mark.parametrize("tier", ["queue", "production"])
def test_workers_have_liveness_on_the_queue_health_port(tier):
    spec = render(tier, worker_count=2)
    workers = [c for c in n8n_components(spec) if c["name"] != "n8n-main"]
    assert workers
    for worker in workers:
        values = env_values(worker)
        assert values["QUEUE_HEALTH_CHECK_ACTIVE"] == "true"
        live = worker["liveness_health_check"]
        assert live["http_path"] == "/healthz"
        assert live["port"] == int(values["QUEUE_HEALTH_CHECK_PORT"]) == 5678
        assert live["success_threshold"] == 1
        assert live["failure_threshold"] <= 50
        # the worker health server only starts after migrations: long budget
        assert _budget(live) >= 15 * 60
        assert worker["termination"]["grace_period_seconds"] > int(values["N8N_GRACEFUL_SHUTDOWN_TIMEOUT"])


# --------------------------------------------------------------------------- tiers

def test_simple_tier_is_one_main_its_runner_and_managed_postgres():
    spec = render("simple")
    assert [c["name"] for c in all_components(spec)] == ["n8n-main", "n8n-runner-main"]
    main = spec["services"][0]
    assert main["instance_count"] == 1 and "autoscaling" not in main
    assert main["http_port"] == 5678
    # main executes everything itself, so it hosts the task broker its own runner connects to
    assert main["internal_ports"] == [5679]
    assert env_values(main)["N8N_RUNNERS_BROKER_LISTEN_ADDRESS"] == "0.0.0.0"
    runner = component(spec, "n8n-runner-main")
    assert runner in spec["workers"] and runner["instance_count"] == 1
    assert env_values(runner)["N8N_RUNNERS_TASK_BROKER_URI"] == "http://n8n-main:5679"
    assert [(d["engine"], d["production"]) for d in spec["databases"]] == [("PG", True)]
    values = env_values(main)
    assert values["EXECUTIONS_MODE"] == "regular"
    assert values["N8N_DEFAULT_BINARY_DATA_MODE"] == "database"  # filesystem is ephemeral on App Platform
    assert not any(k.startswith("QUEUE_BULL_") for k in values)
    assert "OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS" not in values  # a queue-mode setting


def test_simple_tier_with_internal_runners_is_one_component():
    spec = render("simple", runners_mode="internal")
    assert [c["name"] for c in all_components(spec)] == ["n8n-main"]
    assert "workers" not in spec and "internal_ports" not in spec["services"][0]
    assert env_values(spec["services"][0])["N8N_RUNNERS_MODE"] == "internal"


def test_simple_tier_refuses_more_than_one_main_even_with_a_licence():
    with pytest.raises(m.N8nSpecError, match="needs queue mode"):
        render("simple", main_instance_count=2, multi_main_licensed=True)


@pytest.mark.parametrize("workers, concurrency", [(1, 10), (4, 5)])
def test_queue_tier_main_workers_and_valkey(workers, concurrency):
    spec = render("queue", worker_count=workers, worker_concurrency=concurrency, valkey_cluster_name="vk")
    main = component(spec, "n8n-main")
    assert main["instance_count"] == 1 and "autoscaling" not in main
    paired = ["n8n-worker-%d" % i for i in range(1, workers + 1)]
    assert [s["name"] for s in spec["services"]] == ["n8n-main"] + paired
    assert [w["name"] for w in spec["workers"]] == ["n8n-runner-%d" % i for i in range(1, workers + 1)]
    for name in paired:
        worker = component(spec, name)
        assert worker["instance_count"] == 1
        assert worker["run_command"] == "n8n worker --concurrency=%d" % concurrency
    assert spec["databases"][1] == {"name": "n8n-valkey", "engine": "VALKEY", "version": "8", "production": True,
                                    "cluster_name": "vk"}
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["EXECUTIONS_MODE"] == "queue"
        assert values["QUEUE_BULL_REDIS_HOST"] == "${n8n-valkey.HOSTNAME}"
        assert values["QUEUE_BULL_REDIS_PORT"] == "${n8n-valkey.PORT}"
        assert values["QUEUE_BULL_REDIS_USERNAME"] == "${n8n-valkey.USERNAME}"
        assert values["QUEUE_BULL_REDIS_PASSWORD"] == "${n8n-valkey.PASSWORD}"
        assert values["QUEUE_BULL_REDIS_TLS"] == "true"
        assert "QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE" not in values  # n8n's default: verify
        assert values["N8N_DEFAULT_BINARY_DATA_MODE"] == "database"
    assert env_values(main)["OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS"] == "true"


@pytest.mark.parametrize("workers", [1, 3])
def test_queue_tier_with_internal_runners_is_one_autoscalable_worker_component(workers):
    spec = render("queue", worker_count=workers, runners_mode="internal")
    assert [s["name"] for s in spec["services"]] == ["n8n-main"]
    worker = component(spec, "n8n-worker")
    assert worker in spec["workers"] and worker["instance_count"] == workers
    assert runner_components(spec) == [] and m.runner_targets(spec) == []
    for comp in n8n_components(spec):
        values = env_values(comp)
        assert values["N8N_RUNNERS_MODE"] == "internal"
        assert "N8N_RUNNERS_BROKER_LISTEN_ADDRESS" not in values
        assert "internal_ports" not in comp


def test_internal_runners_are_refused_in_production():
    with pytest.raises(m.N8nSpecError, match="external task runners only"):
        render("production", runners_mode="internal")
    with pytest.raises(m.N8nSpecError, match="runners_mode"):
        render("queue", runners_mode="sidecar")


@pytest.mark.parametrize("tier", TIERS)
def test_no_tier_renders_the_deprecated_internal_runner_mode_by_default(tier):
    # n8n 2.x logs "Internal task runner mode is deprecated" for N8N_RUNNERS_MODE=internal (or unset)
    for comp in n8n_components(render(tier, worker_count=2)):
        assert env_values(comp)["N8N_RUNNERS_MODE"] == "external"


def test_valkey_certificate_validation_can_be_turned_off_explicitly():
    values = env_values(render("queue", valkey_tls_validate_certificate=False)["services"][0])
    assert values["QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE"] == "false"


@pytest.mark.parametrize("tier", ["queue", "production"])
def test_more_than_one_main_needs_the_multi_main_licence(tier):
    with pytest.raises(m.N8nSpecError, match="multi-main licence"):
        render(tier, main_instance_count=2)
    spec = render(tier, main_instance_count=2, multi_main_licensed=True)
    main = component(spec, "n8n-main")
    assert main["instance_count"] == 2
    assert env_values(main)["N8N_MULTI_MAIN_SETUP_ENABLED"] == "true"
    assert "N8N_MULTI_MAIN_SETUP_ENABLED" not in env_values(component(render(tier), "n8n-main"))


@pytest.mark.parametrize("tier", TIERS)
def test_s3_binary_data_needs_the_licence_flag(tier):
    s3 = {"binary_data_mode": "s3", "s3_host": "ams3.digitaloceanspaces.com", "s3_bucket": "bucket",
          "s3_region": "ams3", "s3_access_key": "AKEY", "s3_secret_key": "SKEY"}
    with pytest.raises(m.N8nSpecError, match="needs an n8n licence"):
        render(tier, **s3)
    spec = render(tier, s3_licensed=True, **s3)
    for comp in n8n_components(spec):
        entries = envs(comp)
        assert entries["N8N_DEFAULT_BINARY_DATA_MODE"]["value"] == "s3"
        assert entries["N8N_EXTERNAL_STORAGE_S3_HOST"]["value"] == "ams3.digitaloceanspaces.com"
        assert entries["N8N_EXTERNAL_STORAGE_S3_BUCKET_NAME"]["value"] == "bucket"
        assert entries["N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY"]["type"] == "SECRET"
        assert entries["N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET"]["type"] == "SECRET"
        assert not any(k.startswith("AWS_") for k in entries)


def test_s3_mode_needs_its_settings_and_a_bare_host():
    with pytest.raises(m.N8nSpecError, match="n8n_spec_s3_bucket"):
        render("queue", binary_data_mode="s3", s3_licensed=True, s3_host="ams3.digitaloceanspaces.com")
    with pytest.raises(m.N8nSpecError, match="host name only"):
        render("queue", binary_data_mode="s3", s3_licensed=True, s3_host="https://ams3.digitaloceanspaces.com",
               s3_bucket="b", s3_region="ams3", s3_access_key="a", s3_secret_key="s")


def test_filesystem_binary_data_is_refused():
    with pytest.raises(m.N8nSpecError, match="binary_data_mode"):
        render("simple", binary_data_mode="filesystem")


# --------------------------------------------------------------------------- production

@pytest.mark.parametrize("tier", TIERS)
def test_runners_are_external_with_a_shared_secret_token(tier):
    spec = render(tier, worker_count=2)
    assert runner_components(spec)
    for comp in n8n_components(spec):
        entries = envs(comp)
        assert entries["N8N_RUNNERS_MODE"]["value"] == "external"
        assert entries["N8N_RUNNERS_AUTH_TOKEN"] == {"key": "N8N_RUNNERS_AUTH_TOKEN", "value": RUNNERS_TOKEN,
                                                     "scope": "RUN_TIME", "type": "SECRET"}
        assert "N8N_RUNNERS_ENABLED" not in entries
    for runner in runner_components(spec):
        assert envs(runner)["N8N_RUNNERS_AUTH_TOKEN"]["value"] == RUNNERS_TOKEN
        assert envs(runner)["N8N_RUNNERS_AUTH_TOKEN"]["type"] == "SECRET"


@pytest.mark.parametrize("tier", ["queue", "production"])
def test_worker_services_expose_the_broker_internally(tier):
    spec = render(tier, worker_count=2)
    for index in (1, 2):
        worker = component(spec, "n8n-worker-%d" % index)
        assert worker in spec["services"]
        assert worker["internal_ports"] == [5679]
        assert "http_port" not in worker
        values = env_values(worker)
        assert values["N8N_RUNNERS_BROKER_LISTEN_ADDRESS"] == "0.0.0.0"
        assert values["N8N_RUNNERS_BROKER_PORT"] == "5679"
        assert worker["run_command"] == "n8n worker --concurrency=10"
        assert worker["health_check"]["http_path"] == "/healthz/readiness"
        runner = component(spec, "n8n-runner-%d" % index)
        assert runner in spec["workers"]
        assert env_values(runner)["N8N_RUNNERS_TASK_BROKER_URI"] == "http://n8n-worker-%d:5679" % index
        assert runner["liveness_health_check"]["port"] == 5680


@pytest.mark.parametrize("tier", ["queue", "production"])
def test_queue_tier_main_offloads_so_it_needs_no_broker_or_runner(tier):
    spec = render(tier, worker_count=3)
    main = component(spec, "n8n-main")
    values = env_values(main)
    assert values["OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS"] == "true"
    assert "internal_ports" not in main
    assert "N8N_RUNNERS_BROKER_LISTEN_ADDRESS" not in values
    assert all(target != "n8n-main" for _runner, target in m.runner_targets(spec))


def test_production_has_ha_postgres_in_the_plan():
    plan = m.render_plan("production", base_settings())
    assert plan["postgres"]["num_nodes"] == 2
    assert m.render_plan("queue", base_settings())["postgres"]["num_nodes"] == 1
    with pytest.raises(m.N8nSpecError, match="HA PostgreSQL"):
        m.render_plan("production", base_settings(db_num_nodes=1))


def test_production_alerts_cover_cpu_memory_restarts_and_failed_deployments():
    spec = render("production", worker_count=2, domain="n8n.example.com", alert_cpu_percent=75)
    assert {a["rule"] for a in spec["alerts"]} == {"DEPLOYMENT_FAILED", "DOMAIN_FAILED"}
    for comp in all_components(spec):
        rules = {a["rule"]: a for a in comp["alerts"]}
        assert set(rules) == {"CPU_UTILIZATION", "MEM_UTILIZATION", "RESTART_COUNT"}
        assert rules["CPU_UTILIZATION"]["value"] == 75.0
        assert all(a["operator"] == "GREATER_THAN" for a in rules.values())


def test_alert_emails_are_in_the_plan_not_in_the_spec():
    settings = base_settings(alert_emails=["ops@example.com"])
    assert m.render_plan("production", settings)["alert_emails"] == ["ops@example.com"]
    assert "ops@example.com" not in json.dumps(m.render_app_spec("production", settings))
    with pytest.raises(m.N8nSpecError, match="not an e-mail"):
        m.render_plan("production", base_settings(alert_emails=["nope"]))


def test_alerts_are_off_by_default_below_production_and_can_be_enabled():
    assert "alerts" not in render("queue")
    assert "alerts" not in render("queue")["services"][0]
    assert render("queue", alerts_enabled=True)["alerts"] == [{"rule": "DEPLOYMENT_FAILED"}]


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("metrics", [False, True])
def test_metrics_are_never_reachable_from_the_public_route(tier, metrics):
    spec = render(tier, metrics_enabled=metrics)
    rules = spec["ingress"]["rules"]
    routed = [r["component"]["name"] for r in rules if "component" in r]
    assert routed == ["n8n-main"]
    metric_rules = [r for r in rules if r["match"]["path"]["prefix"] == "/metrics"]
    assert len(metric_rules) == 1 and "component" not in metric_rules[0]
    assert metric_rules[0]["redirect"]["uri"] == "/"
    # the /metrics rule must come before the catch-all so it wins whatever the matching order
    assert rules.index(metric_rules[0]) < rules.index([r for r in rules if "component" in r][0])
    assert (env_values(component(spec, "n8n-main")).get("N8N_METRICS") == "true") is metrics
    for comp in all_components(spec):
        assert "N8N_METRICS_PORT" not in envs(comp)


# --------------------------------------------------------------------------- runner pairing

def _instances_can_exceed_one(comp):
    return comp.get("instance_count", 1) != 1 or "autoscaling" in comp


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("workers", range(1, 9))
@pytest.mark.parametrize("multi_main", [False, True])
def test_no_runner_points_at_a_component_that_can_have_more_than_one_instance(tier, workers, multi_main):
    if multi_main and tier == "simple":
        pytest.skip("the simple tier never has more than one main")
    extra = {"main_instance_count": 3, "multi_main_licensed": True} if multi_main else {}
    spec = render(tier, worker_count=workers, **extra)
    services = {s["name"]: s for s in spec["services"]}
    targets = m.runner_targets(spec)
    assert len(targets) == len(runner_components(spec))
    for runner_name, target in targets:
        runner = component(spec, runner_name)
        assert target in services, "runner %s points at %s, which is not a service" % (runner_name, target)
        broker = services[target]
        assert not _instances_can_exceed_one(broker), "%s can run more than one instance" % target
        assert 5679 in broker.get("internal_ports", [])
        assert env_values(broker)["N8N_RUNNERS_BROKER_LISTEN_ADDRESS"] == "0.0.0.0"
        assert not _instances_can_exceed_one(runner)
    # one runner per broker, never shared, and every n8n process that executes code has one
    assert len({t for _r, t in targets}) == len(targets)
    if tier == "simple":
        assert targets == [("n8n-runner-main", "n8n-main")]
    else:
        assert len(targets) == workers
        executing = [c["name"] for c in n8n_components(spec) if c["name"] != "n8n-main"]
        assert sorted(executing) == sorted(t for _r, t in targets)


@pytest.mark.parametrize("tier", ["queue", "production"])
def test_scaling_adds_or_removes_whole_pairs_with_stable_names(tier):
    three = render(tier, worker_count=3)
    five = render(tier, worker_count=5)
    names3 = [c["name"] for c in all_components(three)]
    names5 = [c["name"] for c in all_components(five)]
    assert set(names3) < set(names5)
    assert set(names5) - set(names3) == {"n8n-worker-4", "n8n-worker-5", "n8n-runner-4", "n8n-runner-5"}
    # existing pairs keep their shape; only the pool size follows the new process count
    for name in names3:
        before, after = dict(component(three, name)), dict(component(five, name))
        before["envs"] = [e for e in before["envs"] if e["key"] != "DB_POSTGRESDB_POOL_SIZE"]
        after["envs"] = [e for e in after["envs"] if e["key"] != "DB_POSTGRESDB_POOL_SIZE"]
        assert before == after


@pytest.mark.parametrize("count", [0, 26])
def test_worker_count_bounds(count):
    with pytest.raises(m.N8nSpecError, match="worker_count"):
        render("production", worker_count=count)


def test_largest_production_spec_keeps_valid_component_names():
    spec = render("production", worker_count=25, db_size="db-s-4vcpu-8gb")
    names = [c["name"] for c in all_components(spec)]
    assert len(names) == len(set(names)) == 51
    assert all(re.match(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$", n) for n in names)


# --------------------------------------------------------------------------- outdated settings

@pytest.mark.parametrize("key, replacement", [
    ("N8N_BASIC_AUTH_ACTIVE", "N8N_INSTANCE_OWNER_"),
    ("N8N_BASIC_AUTH_USER", "N8N_INSTANCE_OWNER_"),
    ("N8N_BASIC_AUTH_PASSWORD", "N8N_INSTANCE_OWNER_"),
    ("N8N_METRICS_PORT", "N8N_METRICS"),
    ("N8N_MODE", "n8n worker"),
    ("WEBHOOK_URL", "N8N_WEBHOOK_URL"),
    ("N8N_RUNNERS_ENABLED", "N8N_RUNNERS_MODE"),
    ("AWS_S3_BUCKET_NAME", "N8N_EXTERNAL_STORAGE_S3_"),
    ("AWS_S3_ENDPOINT", "N8N_EXTERNAL_STORAGE_S3_"),
    ("AWS_ACCESS_KEY_ID", "N8N_EXTERNAL_STORAGE_S3_ACCESS_KEY"),
    ("AWS_SECRET_ACCESS_KEY", "N8N_EXTERNAL_STORAGE_S3_ACCESS_SECRET"),
    ("N8N_AVAILABLE_BINARY_DATA_MODES", "n8n_spec_binary_data_mode"),
    ("DB_POSTGRESDB_IDLE_TIMEOUT_MILLIS", "DB_POSTGRESDB_IDLE_CONNECTION_TIMEOUT"),
    ("QUEUE_WORKER_TIMEOUT", "N8N_GRACEFUL_SHUTDOWN_TIMEOUT"),
    ("N8N_BINARY_DATA_STORAGE_PATH", "N8N_STORAGE_PATH"),
    ("NODE_TLS_REJECT_UNAUTHORIZED", "DB_POSTGRESDB_SSL_CA"),
])
@pytest.mark.parametrize("variable", ["extra_env", "extra_secret_env"])
def test_outdated_settings_fail_naming_the_modern_replacement(key, replacement, variable):
    with pytest.raises(m.N8nSpecError) as excinfo:
        render("queue", **{variable: {key: "x"}})
    message = str(excinfo.value)
    assert key in message
    assert replacement in message


def test_extra_env_is_added_to_n8n_components_only():
    spec = render("production", extra_env={"N8N_TEMPLATES_ENABLED": "false"},
                  extra_secret_env={"N8N_SMTP_PASS": "smtp-secret"})
    for comp in n8n_components(spec):
        assert envs(comp)["N8N_TEMPLATES_ENABLED"] == {"key": "N8N_TEMPLATES_ENABLED", "value": "false",
                                                       "scope": "RUN_TIME", "type": "GENERAL"}
        assert envs(comp)["N8N_SMTP_PASS"]["type"] == "SECRET"
    for comp in runner_components(spec):
        assert "N8N_TEMPLATES_ENABLED" not in envs(comp)


@pytest.mark.parametrize("key", ["N8N_ENCRYPTION_KEY", "DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED", "EXECUTIONS_MODE"])
def test_extra_env_cannot_override_rendered_settings(key):
    with pytest.raises(m.N8nSpecError, match="rendered by appplatform.n8n"):
        render("queue", extra_env={key: "x"})


@pytest.mark.parametrize("key", ["1BAD", "BAD-KEY", "BAD KEY"])
def test_extra_env_keys_must_match_the_app_platform_pattern(key):
    with pytest.raises(m.N8nSpecError, match="not a valid environment variable name"):
        render("simple", extra_env={key: "x"})


# --------------------------------------------------------------------------- presets, schema basics

@pytest.mark.parametrize("per_day, instance, db_size, workers", [
    (0, "apps-s-1vcpu-1gb", "db-s-1vcpu-1gb", 1),
    (99, "apps-s-1vcpu-1gb", "db-s-1vcpu-1gb", 1),
    (100, "apps-s-1vcpu-2gb", "db-s-1vcpu-2gb", 1),
    (1999, "apps-s-2vcpu-4gb", "db-s-2vcpu-4gb", 1),
    (2000, "apps-s-2vcpu-4gb", "db-s-4vcpu-8gb", 2),
])
def test_capacity_presets_pick_default_sizes(per_day, instance, db_size, workers):
    plan = m.render_plan("queue", base_settings(workflows_per_day=per_day))
    assert (plan["instance_size"], plan["postgres"]["size"], plan["worker_count"]) == (instance, db_size, workers)
    spec = render("queue", workflows_per_day=per_day)
    assert component(spec, "n8n-main")["instance_size_slug"] == instance
    assert len([c for c in spec["services"] if c["name"].startswith("n8n-worker-")]) == workers


def test_explicit_sizes_override_the_preset():
    spec = render("production", workflows_per_day=5000, instance_size="apps-d-1vcpu-2gb",
                  worker_instance_size="apps-d-2vcpu-4gb", db_size="db-s-2vcpu-4gb", worker_count=1)
    assert component(spec, "n8n-main")["instance_size_slug"] == "apps-d-1vcpu-2gb"
    assert component(spec, "n8n-worker-1")["instance_size_slug"] == "apps-d-2vcpu-4gb"
    assert component(spec, "n8n-runner-1")["instance_size_slug"] == "apps-s-1vcpu-0.5gb"
    assert m.render_plan("production", base_settings(workflows_per_day=5000, db_size="db-s-2vcpu-4gb"))[
        "postgres"]["size"] == "db-s-2vcpu-4gb"


def test_unknown_settings_and_instance_sizes_are_refused():
    with pytest.raises(m.N8nSpecError, match="unknown setting"):
        render("simple", worker_replicas=3)
    with pytest.raises(m.N8nSpecError, match="instance_size"):
        render("simple", instance_size="apps-s-9vcpu-1tb")
    with pytest.raises(m.N8nSpecError, match="tier"):
        m.render_app_spec("enterprise", base_settings())


@pytest.mark.parametrize("tier", TIERS)
def test_every_env_passes_the_app_platform_env_schema(tier):
    spec = render(tier, worker_count=2, owner_email="o@example.com", owner_password_hash=OWNER_HASH,
                  community_packages=["n8n-nodes-foo"], metrics_enabled=True)
    for comp in all_components(spec):
        assert re.match(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$", comp["name"])
        for entry in comp["envs"]:
            assert set(entry) == {"key", "value", "scope", "type"}
            assert re.match(r"^[_A-Za-z][_A-Za-z0-9]*$", entry["key"])
            assert isinstance(entry["value"], str)
            assert entry["scope"] == "RUN_TIME"
            assert entry["type"] in ("GENERAL", "SECRET")
    # the only app-level env is the tier marker, at BUILD_TIME so no n8n process reads it
    assert spec["envs"] == [{"key": "APPPLATFORM_N8N_TIER", "value": tier, "scope": "BUILD_TIME",
                             "type": "GENERAL"}]


def test_rendering_is_deterministic_and_does_not_mutate_input():
    settings = base_settings(worker_count=2, community_packages=[{"name": "n8n-nodes-foo"}])
    before = json.dumps(settings, sort_keys=True)
    assert m.render_app_spec("production", settings) == m.render_app_spec("production", settings)
    assert json.dumps(settings, sort_keys=True) == before


def test_plan_shape_per_tier():
    simple = m.render_plan("simple", base_settings())
    assert simple["valkey"] is None and simple["worker_count"] == 0
    assert simple["runner_pairs"] == [{"broker": "n8n-main", "runner": "n8n-runner-main"}]
    assert m.render_plan("simple", base_settings(runners_mode="internal"))["runner_pairs"] == []
    prod = m.render_plan("production", base_settings(worker_count=2))
    assert prod["runners_mode"] == "external"
    assert prod["runner_pairs"] == [{"broker": "n8n-worker-1", "runner": "n8n-runner-1"},
                                    {"broker": "n8n-worker-2", "runner": "n8n-runner-2"}]
    assert prod["valkey"]["cluster_name"] == "n8n-test-valkey"
    assert ENCRYPTION_KEY not in json.dumps(prod) and RUNNERS_TOKEN not in json.dumps(prod)


def test_integers_given_as_extra_var_strings_are_accepted():
    plan = m.render_plan("queue", base_settings(worker_count="3"))
    assert plan["worker_count"] == 3
    with pytest.raises(m.N8nSpecError, match="must be an integer"):
        m.render_plan("queue", base_settings(worker_count="three"))


@pytest.mark.parametrize("given, expected", [("false", "false"), ("False", "false"), ("no", "false"),
                                             ("true", "true"), ("yes", "true"), (False, "false"), (True, "true")])
def test_booleans_given_as_extra_var_strings_are_accepted(given, expected):
    spec = render("queue", metrics_enabled=given, executions_prune=given)
    main = env_values(component(spec, "n8n-main"))
    assert main["EXECUTIONS_DATA_PRUNE"] == expected
    assert ("N8N_METRICS" in main) is (expected == "true")


@pytest.mark.parametrize("key", ["metrics_enabled", "alerts_enabled", "multi_main_licensed"])
def test_non_booleans_are_refused_for_boolean_settings(key):
    with pytest.raises(m.N8nSpecError, match="n8n_spec_%s must be a boolean" % key):
        render("queue", **{key: "maybe"})


def test_alerts_given_as_a_false_string_are_off():
    # a non-empty string is truthy: without coercion "false" would switch the alerts on
    assert "alerts" not in render("production", alerts_enabled="false")


def test_negative_integers_are_out_of_range_not_a_type_error():
    with pytest.raises(m.N8nSpecError, match=r"n8n_spec_worker_count=-1 is out of range"):
        m.render_plan("queue", base_settings(worker_count="-1"))


def test_alert_emails_switch_the_alerts_on_unless_they_are_explicitly_off():
    plan = m.render_plan("queue", base_settings(alert_emails=["ops@example.com"]))
    assert plan["alert_emails"] == ["ops@example.com"]
    assert render("queue", alert_emails=["ops@example.com"])["alerts"] == [{"rule": "DEPLOYMENT_FAILED"}]
    with pytest.raises(m.N8nSpecError, match="no alert would reach them"):
        render("production", alert_emails=["ops@example.com"], alerts_enabled=False)
