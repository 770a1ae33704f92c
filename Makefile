# kafka-aws: the two commands a newcomer types are `make lab` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONUNBUFFERED := 1

.PHONY: venv lab test lint unit prepare integration molecule down status bench clean

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

venv: $(VENV)/.installed

# The lab cluster's mode: zookeeper (default, 3 nodes), kraft (3 combined controller,broker nodes:
# make lab MODE=kraft) or kraft-dedicated (3 controllers + 3 brokers); see `lab up --help`.
MODE ?= zookeeper

## The main job on the local lab: nodes up, cluster deployed through site.yml, smoke-checked.
lab: venv
	lab up --mode $(MODE)
	lab deploy

## Everything: lint, unit tests, integration tests against the lab services, every molecule scenario.
## Lint, the unit tests and the lab's preparation (host images by debootstrap, the artifact mirror:
## mostly downloads and disk) run at once: ansible-lint is one process and the unit tests wait on their
## ansible-playbook runs, so together they took 247 s against 301 s one after the other (2026-11-29).
## Lint's output (.cache/logs/lint.log) and the preparation's (prepare.log) follow the unit tests'; a
## failure of any of the three fails the run.
test: venv
	mkdir -p .cache/logs
	lab prepare > .cache/logs/prepare.log 2>&1 & prep=$$!; \
	$(MAKE) --no-print-directory lint > .cache/logs/lint.log 2>&1 & lint=$$!; status=0; \
	$(MAKE) --no-print-directory unit || status=$$?; \
	wait $$lint || { status=1; echo "lint failed:"; }; cat .cache/logs/lint.log; \
	if ! wait $$prep; then echo "lab prepare failed:"; tail -50 .cache/logs/prepare.log; exit 1; fi; \
	cat .cache/logs/prepare.log; exit $$status
	$(MAKE) --no-print-directory integration molecule

lint: venv
	yamllint --strict .
	ruff check .
	ruff format --check .
	# Syntax checks need no inventory; the lab's would query the fake EC2 API, which may not be up.
	ANSIBLE_INVENTORY=tests/lint_inventory.yml ansible-lint --offline --profile production

unit: venv
	pytest -q -n 2 tests/unit

# Engine, host images, artifact mirror (built and served) and fake EC2 API; no lab nodes.
prepare: venv
	lab prepare

# Two workers, each test file on one of them (a file's tests share fixtures and run in order); then
# test_lab_nodes.py alone: it stops and restarts the lab's services that the other files use.
integration: prepare
	pytest -q -n 2 --dist loadfile tests/integration --ignore tests/integration/test_lab_nodes.py
	pytest -q tests/integration/test_lab_nodes.py

# The scenarios run through tools/molecule_lanes.py: each scenario's log goes to .cache/logs, and a
# failed scenario's log tail and a digest of what failed come last. LANES lists lanes separated by
# spaces, the scenarios of a lane by commas; lanes run at once. On two cores one lane (measured
# 2026-11-29): two lanes made each scenario 1.3-2.0 times slower for about 7% less wall time, and under
# that load the migration test once met a Kafka 3.9 fault (KAFKA-20839, see the README's migration
# section); on a larger machine try LANES="cluster,default kraft,topics,zookeeper".
# `make molecule SCENARIOS="kraft topics"` runs the named ones in one lane.
LANES ?= cluster,default,kraft,topics,zookeeper
molecule: prepare
	python tools/molecule_lanes.py $(if $(filter command line,$(origin SCENARIOS)),$(shell echo $(SCENARIOS) | tr ' ' ,),--all $(LANES))

status: venv
	lab status

down: venv
	lab down

bench: prepare
	for b in bench/*.py; do python $$b; done

clean: down
	rm -rf .cache
