# drsim: the two commands of the README and a few more.
#   make run    installs what is missing, builds (Release) and runs the seed drill
#   make test   installs what is missing, builds and runs every test
# Other targets: make (build only), make test-python, make test-notebooks,
# make bench, make test-asan, make fuzz (FUZZ_SECONDS=600), make clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PYTHON     ?= /usr/bin/python3
WERROR     ?= $(if $(CI),ON,OFF)
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
CMAKE_ARGS ?=

.PHONY: all deps configure build run test test-cpp test-python test-notebooks test-asan bench fuzz fuzz-smoke clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Release -DDRSIM_WERROR=$(WERROR) \
	  -DDRSIM_BUILD_PYTHON=ON -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/bin/drsim run models/asm-gtm-drill.json

# The Python side runs from the checkout: the package in python/, the
# extension in $(BUILD)/python/, the CLI it is compared with in $(BUILD)/bin/.
# A build folder configured before python/ existed lacks the extension target:
# configure it once more.
PY_ENV = PYTHONPATH=$(CURDIR)/python:$(abspath $(BUILD))/python DRSIM_CLI=$(abspath $(BUILD))/bin/drsim
PY_EXTENSION = @ls $(BUILD)/python/_drsim*.so >/dev/null 2>&1 || \
	{ cmake -S . -B $(BUILD) >/dev/null && cmake --build $(BUILD) -j $(JOBS); }

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(PY_EXTENSION)
	$(PY_ENV) $(PYTHON) -m pytest -q tests/python
	$(PY_ENV) $(PYTHON) scripts/run_notebooks.py --timeout 60 notebooks
	DRSIM_CLI=$(BUILD)/bin/drsim JOBS=$(JOBS) scripts/fuzz.sh smoke

test-python: build
	$(PY_EXTENSION)
	$(PY_ENV) $(PYTHON) -m pytest -q tests/python

test-notebooks: build
	$(PY_EXTENSION)
	$(PY_ENV) $(PYTHON) scripts/run_notebooks.py --timeout 60 notebooks

test-asan: deps
	# -O1 -g1: line numbers in the sanitizers' reports at about half the compile time of -O2 -g.
	cmake -S . -B $(ASAN_BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRSIM_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DDRSIM_WERROR=$(WERROR) -DDRSIM_BUILD_PYTHON=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer over the model loader (clang-14, its own build in build-fuzz/):
# a deterministic short run is part of make test; this one runs FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
fuzz: build
	DRSIM_CLI=$(BUILD)/bin/drsim JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: build
	DRSIM_CLI=$(BUILD)/bin/drsim JOBS=$(JOBS) scripts/fuzz.sh smoke

bench: deps
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Release -DDRSIM_BUILD_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS) --target drsim_bench drsim_cli
	./$(BUILD)/bench/drsim_bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
