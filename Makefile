# relaxgen — the whole set-up is two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
EXTRAS ?= test,neural,dask

.PHONY: demo test lint bench clean-venv

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

$(VENV)/.installed-base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

demo: $(VENV)/.installed-base
	$(VENV)/bin/relaxgen demo -o output/demo

test: $(VENV)/.installed-$(EXTRAS)
	bash tests/setup-system.sh
	$(VENV)/bin/ruff check generator tests bench
	$(VENV)/bin/mypy generator
	$(VENV)/bin/pytest -n 2 -q

bench: $(VENV)/.installed-$(EXTRAS)
	$(PY) -m bench

clean-venv:
	rm -rf $(VENV)
