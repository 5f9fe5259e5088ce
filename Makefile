# The two commands of the README:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared/data

.PHONY: run test install pack lint bench clean

$(BIN)/tethers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/tethers

install: $(BIN)/tethers

## make run: build the environment and the atlas from the shipped pack, print Kazakhstan's 2021 profile
run: install
	$(BIN)/tethers atlas build
	$(BIN)/tethers profile KAZ --year 2021

## make test: the whole test suite on two workers (tests over ../shared/data skip when it is absent)
test: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=25; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

## make pack: rebuild data/pack from ../shared/data (maintainers)
pack: install
	$(BIN)/python scripts/build_pack.py --shared $(SHARED) --out data/pack

## make bench: benchmarks on a synthetic BACI-scale year, side by side (writes BENCHMARKS.md; ARGS=--quick: 1 M rows)
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py $(ARGS)

lint: install
	$(BIN)/ruff check src tests scripts benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
