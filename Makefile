# Two commands: `make report` (set up + full SNA on the shipped data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/barnet.yaml
PERIOD ?= latest
JOBS   ?= 2

.PHONY: install report demo test lint lab validate bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	touch $@

report: install
	$(BIN)/sna run --config $(CONFIG) --period $(PERIOD) --jobs $(JOBS)

# The Barnet SNA with SYNTHETIC partner extracts (police records, A&E): a demonstration of
# chapter 10, written to outputs/barnet-demo/ and marked as a demonstration on every page.
demo: install
	$(BIN)/python -m sna.synthetic_records config/barnet.yaml data/demo
	$(BIN)/sna run --config config/barnet_demo.yaml --period $(PERIOD) --jobs $(JOBS)

validate: install
	$(BIN)/sna validate --config $(CONFIG)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lab: install
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	cd notebooks && ../$(BIN)/jupyter lab

bench: install
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf data/interim data/demo outputs/*/ .pytest_cache
