# make install: the pinned stack + this plugin in .venv/ (or the active virtualenv)
# make test:    the test suite (installs first when needed)
# make demo:    the main job on built-in synthetic data (installs first when needed;
#               DEMO_ARGS=--baseline trains the HRNet-AE baseline into work_dirs/demo_baseline)
SHELL := /bin/bash
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := $(CURDIR)/.venv
endif
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.higherhrnet_plugin-installed
BOOTSTRAP_PYTHON ?= python3

.PHONY: install test demo clean

install: $(STAMP)

# Re-run the installer when the pins, the packaging or the installer change.
$(STAMP): requirements/constraints.txt setup.py $(wildcard tools/install/*.sh tools/install/*.py)
	@test -x $(PYTHON) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	bash tools/install/install_stack.sh $(PYTHON)
	@touch $(STAMP)

test: install
	$(PYTHON) -m pytest tests -q

demo: install
	$(PYTHON) tools/demo.py $(DEMO_ARGS)

clean:
	rm -rf work_dirs build *.egg-info
