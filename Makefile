# kafka-aws: the two commands a newcomer types are `make lab` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONUNBUFFERED := 1

# Molecule scenarios, run in this order by `make molecule` (override: make molecule SCENARIOS=cluster).
SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(sort $(wildcard molecule/*/molecule.yml))))

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
test: lint unit integration molecule

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

integration: prepare
	pytest -q tests/integration

molecule: prepare
	for s in $(SCENARIOS); do echo "=== molecule scenario $$s"; molecule test -s $$s; done

status: venv
	lab status

down: venv
	lab down

bench: prepare
	for b in bench/*.py; do python $$b; done

clean: down
	rm -rf .cache
