# Downtown: the two commands are `make run` and `make test`. Everything else is a piece of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .downtown/venv/bin
PYTEST := $(VENV)/python -m pytest -p no:cacheprovider
SERVICE_NAMES := $(notdir $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)))
# Every tests/test_*.py but the architecture rules (make lint runs those): a new file there cannot be
# left out of every tier (the e2e-marked ones are deselected here and run with make e2e).
UNIT_TESTS := events/tests $(foreach s,$(SERVICE_NAMES),services/$(s)/tests/unit) web/tests/unit $(filter-out tests/test_architecture.py,$(wildcard tests/test_*.py))
STACK := bash deploy/local/stack.sh
SERVICES := bash deploy/local/services.sh
# Unused code: 60 % is vulture's level for unused classes, functions and fields. What frameworks
# call by name (routes, typer commands, validators, signals) is skipped here; the rest that only
# looks unused is listed, with why, in the whitelist.
VULTURE := $(VENV)/vulture events/src $(foreach s,$(SERVICE_NAMES),services/$(s)/$(s)) web/downtown_web deploy/lint/vulture_whitelist.py \
	--min-confidence 60 --ignore-names model_config \
	--ignore-decorators "@*.get,@*.post,@*.put,@*.patch,@*.delete,@*.command,@*.connect,@*.exception_handler,@field_validator,@model_validator"

.PHONY: help run stop status test lint unit integration e2e bench rebuild schemas translations stack logs clean service

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run:  ## set up everything, start Kafka, PostgreSQL and two demo towns, seed them, print where to look
	@$(STACK) up
	@$(SERVICES) start

stop:  ## stop the services, Kafka and PostgreSQL (data is kept in .downtown/)
	@$(SERVICES) stop
	@$(STACK) down

status:  ## what runs
	@$(STACK) status
	@$(SERVICES) status

stack:  ## only the infrastructure: venv, Kafka, PostgreSQL
	@$(STACK) up

# Lint and the unit tests each keep one core busy, so they run side by side (lint's output is
# printed after the unit tests'); the tiers that start services follow, alone.
test: stack  ## set up, then lint and run every test (unit, integration, end-to-end)
	@$(MAKE) --no-print-directory lint > .downtown/logs/lint.log 2>&1 & lint=$$!; \
	echo "==> lint runs beside the unit tests (its output follows them)"; \
	$(PYTEST) -q -m "not integration and not e2e" $(UNIT_TESTS); unit=$$?; \
	wait $$lint; linted=$$?; cat .downtown/logs/lint.log; \
	if [ $$linted -ne 0 ]; then echo "==> lint failed (above)" >&2; fi; \
	[ $$linted -eq 0 ] && [ $$unit -eq 0 ]
	$(PYTEST) -q -m "integration or e2e" --durations=30

unit:  ## fast tests of pure code (no broker or database)
	@$(STACK) asyncapi
	$(PYTEST) -q -m "not integration and not e2e" $(UNIT_TESTS)

integration: stack  ## tests against the real broker and database
	$(PYTEST) -q -m integration

e2e: stack  ## tests that drive running service processes over HTTP
	$(PYTEST) -q -m e2e

lint:  ## ruff, mypy, unused code (vulture), and the architecture rules (no service imports another; domain does no I/O)
	$(VENV)/ruff check events services web tests bench deploy conftest.py
	$(VENV)/ruff format --check events services web tests bench deploy conftest.py
	$(VENV)/mypy -p downtown_events $(foreach s,$(SERVICE_NAMES),-p $(s)) -p downtown_web
	$(VULTURE)
	$(VENV)/lint-imports --config .importlinter
	$(PYTEST) -q tests/test_architecture.py

bench: stack  ## benchmarks: event store, projection rebuild, photo-to-searchable, search throughput (wrk), hostile uploads, vs the eventsourcing library
	@$(VENV)/pip install -q -r requirements/bench.txt
	$(VENV)/python -m bench

rebuild: SERVICE ?= catalog
rebuild:  ## rebuild a projection of a running town: make rebuild TOWN=schoeppingen [SERVICE=catalog] PROJECTION=town_catalog
	@eval "$$($(SERVICES) env $(TOWN) $(SERVICE) | sed 's/^/export /')" && $(VENV)/downtown-projections rebuild --service $(SERVICE) --projection $(PROJECTION)

service:  ## a new service from the kit's template: make service NAME=dispatch (then see docs/architecture.md, "A new service")
	@[[ "$(NAME)" =~ ^[a-z][a-z0-9]{2,19}$$ ]] || { echo "usage: make service NAME=<name>: 3 to 20 lower-case letters and digits, e.g. NAME=dispatch" >&2; exit 2; }
	@[ ! -e services/$(NAME) ] || { echo "services/$(NAME) exists already: pick another name, or delete it first" >&2; exit 1; }
	@$(STACK) python
	$(VENV)/copier copy --quiet --defaults --data name=$(NAME) deploy/service-template .
	$(VENV)/python deploy/service-template/register.py $(NAME)
	@$(VENV)/ruff check --fix-only --quiet services/$(NAME) && $(VENV)/ruff format --quiet services/$(NAME)
	@$(STACK) python
	@echo "services/$(NAME) is made and installed: make lint && make unit, then write its domain/ and app/."

schemas:  ## regenerate the published JSON Schemas and AsyncAPI document (events/schemas, events/asyncapi.json)
	$(VENV)/python -m downtown_events.schemas events

# Texts people read (downtown_events.runtime.texts): every service with a babel.cfg has English
# message ids in its templates (and N_() in Python) and a catalogue per other language.
PYBABEL := $(CURDIR)/$(VENV)/pybabel
TEXT_PACKAGES := $(foreach s,$(SERVICE_NAMES),services/$(s)/$(s)) web/downtown_web
PYBABEL_KEYWORDS := --no-default-keywords -k _ -k gettext -k ngettext:1,2 -k N_ -c Translators:

translations:  ## extract the services' texts and update their catalogues (ADD=fr starts a language)
	@for package in $(TEXT_PACKAGES); do \
		dir=$$(dirname $$package) s=$$(basename $$package); \
		[ -f $$dir/babel.cfg ] || continue; \
		pot=$$(mktemp --suffix=.pot) && \
		(cd $$dir && $(PYBABEL) -q extract -F babel.cfg $(PYBABEL_KEYWORDS) --no-wrap \
			--project=downtown-$$s --copyright-holder="the Downtown contributors" -o $$pot $$s && \
		$(PYBABEL) -q update -i $$pot -d $$s/locale --no-wrap --ignore-pot-creation-date \
			$(if $(ADD),--init-missing -l $(ADD))) ; status=$$?; rm -f $$pot; [ $$status -eq 0 ] || exit $$status; \
	done

logs:  ## follow the services' logs
	tail -F .downtown/logs/*.log

clean: stop  ## stop and delete all local state (.downtown/)
	rm -rf .downtown
