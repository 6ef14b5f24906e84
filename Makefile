# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Jupyter in the venv saves the repository's notebooks without outputs (assess_lib/lab.py).
JUPYTER_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.d/assess_lib.json
OUT ?= outputs/demo

.PHONY: setup demo test lint format notebooks bench clean lab

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# Pinned packaging tools first: the editable install of the kit needs a modern pip and setuptools.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==26.3 setuptools==80.9.0 wheel==0.45.1
	# requirements.txt pins every package the kit needs, dependencies included, so nothing else is resolved. It leaves
	# out jsonschema's optional IRI validator (rfc3987-syntax, asked for by jupyter-events' format extra): it compiles
	# 38 grammars each time jsonschema is imported (about 3 s, in the emulator and the notebooks' processes alike).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(JUPYTER_CONFIG): assess_lib/jupyter_server_config.json $(STAMP)
	mkdir -p $(dir $@)
	cp $< $@

# The kit's own modules byte-compiled ahead (only what changed since): where PYTHONDONTWRITEBYTECODE is set, Python
# would compile every module of the kit again in each of a run's five processes (2–3 s of CPU in a demo, measured).
setup: $(STAMP) $(JUPYTER_CONFIG)
	$(BIN)/python -m compileall -q assess_lib

demo: setup
	$(BIN)/python -m assess_lib demo --out $(OUT)

# JupyterLab on a finished run's own notebooks (default: the demo's), for a walkthrough.
lab: setup
	$(BIN)/python -m assess_lib lab --run $(OUT)

test: setup
	$(BIN)/ruff check assess_lib tests bench tools
	$(BIN)/ruff format --check assess_lib tests bench tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check assess_lib tests bench tools
	$(BIN)/ruff format --check assess_lib tests bench tools
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format assess_lib tests bench tools

# The notebooks (assess_lib/notebooks/) from the catalogue; the tests fail when the committed ones differ.
notebooks: setup
	$(BIN)/python tools/make_notebooks.py

bench: setup
	$(BIN)/python bench/bench_collect.py

clean:
	rm -rf outputs/demo .pytest_cache
