# credvend: `make demo` shows the whole flow on loopback, `make test` runs every test.
SWIFT ?= swift
PYTHON ?= python3
BIN_DEBUG := .build/debug/credvend

.PHONY: deps build release test e2e-test demo load-test clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

e2e-test: build
	CREDVEND_BIN=$(CURDIR)/$(BIN_DEBUG) $(PYTHON) -m pytest -q tests/e2e

# Every test: Swift units, then the end-to-end tests against the real binary.
test: deps
	scripts/check-interop.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test
	CREDVEND_BIN=$(CURDIR)/$(BIN_DEBUG) $(PYTHON) -m pytest -q tests/e2e

demo: release
	scripts/demo.sh

load-test: deps
	load-tests/run

clean:
	rm -rf .build
