# awspan: every target sets up what it needs (a virtualenv in .venv with the project installed).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AWSPAN := $(BIN)/awspan
WORKFLOW := deploy/policy-repo/.github/workflows/awspan.yml

.PHONY: help demo test test-fast lint bench collect generate snapshot plan push lambda-zip clean

help:
	@echo "make demo    - the whole loop on loopback: moto server + PAN-OS emulator, collect -> generate -> plan -> push"
	@echo "make test    - lint (ruff, import contracts, the GitHub workflow's schema, cfn-lint) and the whole test suite (sets up .venv)"
	@echo "make test-fast - the suite without the tests marked slow (demo runs, servers, wheel and zip builds)"
	@echo "make bench   - benchmarks (generate, already-allowed check, collect, push, plan, membership, Aerleon, Lambda)"
	@echo "make collect|generate|snapshot|plan|push - the pipeline steps, for CI jobs"
	@echo "make lambda-zip POLICY=policy.yaml - the Lambda deployment package in deploy/build/, the policy inside"
	@echo "make lambda-zip POLICY_FROM_ENV=1  - the same without a policy: the function's AWSPAN_CONFIG names one"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m devtools.demo $(if $(MEMBERSHIP),--membership $(MEMBERSHIP))

test: lint
	$(BIN)/python -m pytest

test-fast: lint
	$(BIN)/python -m pytest -m "not slow"

# ruff; the layers' import contracts; the policy repository's workflow against the GitHub-workflow
# schema (check-jsonschema's vendored copy, no download); the SAM template with cfn-lint
lint: $(STAMP)
	$(BIN)/ruff check generator emulator devtools tests bench
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOW)
	$(BIN)/cfn-lint deploy/template.yaml

bench: $(STAMP)
	$(BIN)/python -m bench

collect: $(STAMP)
	$(AWSPAN) collect

generate: $(STAMP)
	$(AWSPAN) generate

snapshot: $(STAMP)
	$(AWSPAN) snapshot

plan: $(STAMP)
	$(AWSPAN) plan --format markdown

push: $(STAMP)
	$(AWSPAN) push

lambda-zip: $(STAMP)
	$(BIN)/python -m devtools.lambda_package --output deploy/build/awspan-lambda.zip \
	  $(if $(POLICY),--policy $(POLICY)) $(if $(POLICY_FROM_ENV),--policy-from-env)

clean:
	rm -rf $(VENV) build dist deploy/build .pytest_cache .ruff_cache
