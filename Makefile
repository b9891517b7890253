# credvend: `make demo` shows the whole flow on loopback, `make test` runs every test.
SWIFT ?= swift
PYTHON ?= python3
BIN_DEBUG := .build/debug/credvend

.PHONY: deps build release test e2e-test demo demo-tls load-test fuzz format clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

e2e-test: build
	CREDVEND_BIN=$(CURDIR)/$(BIN_DEBUG) PYTHON=$(PYTHON) scripts/e2e.sh

# Suites whose code shares state between threads: also run under ThreadSanitizer.
TSAN_SUITES := VerifiedTokenCache|WorkerTransfers|RepeatedAnswer|EventPoll|CredentialCache|SingleFlight|LogRing|Metrics|RoleStore|HTTPServer|VendingService|ServeApplication|JWKSCache|PeriodicService|Lifecycle|NamedRoleVending|AgentHandler|RoleTableSync|TLSServer|BoundToken|STSCallPool|BatchedLineWriter|RoleTableAdmin

# Every test: the interop and format checks, one build with warnings as errors
# and every import declared (the release build is `make release`'s; building it
# here as well cost minutes of the test budget), Swift units
# (also under ThreadSanitizer for the concurrent suites), then the end-to-end
# tests against the real binary.
test: deps
	scripts/check-interop.sh
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests load-tests/Package.swift load-tests/Sources
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_SUITES)'
	CREDVEND_BIN=$(CURDIR)/$(BIN_DEBUG) PYTHON=$(PYTHON) scripts/e2e.sh

# Rewrites the sources in the committed swift-format style.
format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests load-tests/Package.swift load-tests/Sources

demo: release
	scripts/demo.sh

# The same flow over mutual TLS with certificate-bound tokens (certificates made by openssl).
demo-tls: release
	scripts/demo-tls.sh

load-test: deps
	load-tests/run

# Ten minutes of valid clients beside hostile ones (load-tests/README.md); not part of `make test`.
.PHONY: soak-hostile
soak-hostile: deps
	load-tests/run hostile

# libFuzzer targets (fuzz/README.md), each run for FUZZ_SECONDS; not part of `make test`.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf .build .build-tsan fuzz/.build
