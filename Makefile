# appplatform.n8n — everything a fresh Debian machine needs, in two commands: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

REPO        := $(CURDIR)
PYTHON      ?= python3
VENV        ?= $(REPO)/.venv
CACHE       ?= $(or $(APPPLATFORM_N8N_CACHE),$(HOME)/.cache/appplatform-n8n)
BIN         := $(VENV)/bin
COLLECTIONS := $(REPO)/collections
LINK        := $(COLLECTIONS)/ansible_collections/appplatform/n8n
STATE       ?= $(REPO)/.cache/sandbox
DEMO_STATE  ?= $(REPO)/.cache/demo-sandbox
SANITY_ROOT := $(CACHE)/ansible-test/ansible_collections/appplatform/n8n
SANITY_HOME := $(CACHE)/ansible-test-home
REQ_STAMP   := $(VENV)/.requirements-$(shell cat requirements/*.txt | sha256sum | cut -c1-12)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(REPO)/ansible.cfg
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup debian-packages venv link demo test unit integration n8n real-n8n sanity lint docs build bench \
        sandbox-start sandbox-stop clean

help:
	@echo "make demo   - production deployment against the local sandbox, then its idempotent re-run"
	@echo "make test   - unit + integration tests (sandbox), ansible-test sanity, ansible-lint, docs lint"
	@echo "make sandbox-start / sandbox-stop - the local DigitalOcean sandbox (settings: .cache/sandbox/sandbox.env)"
	@echo "make bench  - API calls and wall time of module runs against the sandbox"
	@echo "make build  - the collection tarball (dist/)"

# ---------------------------------------------------------------- set-up (idempotent, fast when done)
setup: debian-packages venv link

debian-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql postgresql-client"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v rsync >/dev/null || missing="$$missing rsync"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  systemctl disable --now redis-server postgresql >/dev/null 2>&1 || true; \
	fi

venv: $(REQ_STAMP)
$(REQ_STAMP): requirements/runtime.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	rm -f $(VENV)/.requirements-* && touch $@

link:
	@mkdir -p $(dir $(LINK))
	@test -L $(LINK) || ln -s ../../.. $(LINK)

# ---------------------------------------------------------------- the main job
# The demo has its own sandbox (seconds-long deployment phases), apart from `make sandbox-start`'s.
demo: setup
	$(BIN)/python -m tests.sandbox stop --state $(DEMO_STATE) >/dev/null
	$(BIN)/python -m tests.sandbox start --state $(DEMO_STATE) --durations '{"deployment_phase": 2, "database_create": 4}'
	@set -e; source $(DEMO_STATE)/sandbox.env; \
	trap '$(BIN)/python -m tests.sandbox stop --state $(DEMO_STATE)' EXIT; \
	args="-e n8n_app_name=n8n-demo -e n8n_deploy_secrets_file=$(DEMO_STATE)/n8n-demo.secrets.yml"; \
	echo "=== first run: ansible-playbook appplatform.n8n.production (creates everything)"; \
	ansible-playbook appplatform.n8n.production $$args; \
	$(BIN)/python -m tests.sandbox log --state $(DEMO_STATE) > $(DEMO_STATE)/first-run-api.log; \
	cat $(DEMO_STATE)/first-run-api.log; \
	mark=$$(sed -n 's/^log size: //p' $(DEMO_STATE)/first-run-api.log); \
	echo "=== second run: must change nothing"; \
	ansible-playbook appplatform.n8n.production $$args > $(DEMO_STATE)/second-run.log; \
	cat $(DEMO_STATE)/second-run.log; \
	$(BIN)/python -m tests.sandbox log --state $(DEMO_STATE) --since $$mark > $(DEMO_STATE)/second-run-api.log; \
	cat $(DEMO_STATE)/second-run-api.log; \
	grep -Eq 'changed=0 .*failed=0' $(DEMO_STATE)/second-run.log && grep -q ', 0 writes' $(DEMO_STATE)/second-run-api.log \
	  && echo "=== idempotent: second run changed=0 and made no write request"

sandbox-start: setup
	$(BIN)/python -m tests.sandbox start --state $(STATE)
sandbox-stop:
	$(BIN)/python -m tests.sandbox stop --state $(STATE)

# ---------------------------------------------------------------- tests and gates
test: setup unit integration real-n8n sanity lint docs

unit: setup
	cd tests && $(BIN)/python -m pytest -q unit

integration: setup
	cd tests && $(BIN)/python -m pytest -q -p no:cacheprovider integration

# Real n8n (npm, Node 24 from PyPI) installed once into $(CACHE)/n8n; later runs reuse it in seconds.
n8n: setup
	$(BIN)/python tests/sandbox/n8n/install.py

real-n8n: n8n
	cd tests && $(BIN)/python -m pytest -q -p no:cacheprovider -m real_n8n sandbox/n8n

# ansible-test needs a real ansible_collections/<ns>/<name> directory: sync what ships into one.
sanity: setup
	@mkdir -p $(SANITY_ROOT) $(SANITY_HOME)/.ansible/test/cache
	@cp tests/ansible-test/get_pip_offline.py $(SANITY_HOME)/.ansible/test/cache/get_pip_24_2.py
	@rsync -a --delete --exclude-from=tests/ansible-test/sync-exclude.txt ./ $(SANITY_ROOT)/
	cd $(SANITY_ROOT) && HOME=$(SANITY_HOME) ANSIBLE_COLLECTIONS_PATH= ansible-test sanity --python 3.11 --color no

lint: setup
	ansible-lint

docs: setup
	antsibull-docs lint-collection-docs --plugin-docs .

build: setup
	ansible-galaxy collection build --force --output-path dist

bench: setup
	$(BIN)/python bench/module_requests.py --check
	$(BIN)/python bench/playbook_requests.py

clean:
	rm -rf .cache dist collections tests/output
