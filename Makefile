# nodefleet - the three commands everyone uses: make, make demo, make test.
# The real build is CMake (CMakeLists.txt); this file only drives it.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all build deps demo test asan asan-build fuzz bench deb lambda-zip cfn endurance soak format clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) | { grep -vE '^(\[ *[0-9]+%\] |g?make)' || true; }

# The main job on its embedded default: replay the NASA July 1995 trace (built into the
# binary) under the seed's "before" (5 static workers), the seed policy, nodefleet's own
# default policy and the oracle.
demo: build
	./$(BUILD)/nodefleet simulate --policy static:5 --policy seed --policy default --html report.html

# Every test; then the fast ones (labels unit and sim) again under ASan + UBSan, so that
# "sanitizer-clean" is checked on every run, not only when someone remembers `make asan`.
test: build
	@scripts/deps.sh test
	@echo "== all tests"
	@cd $(BUILD) && ctest --output-on-failure -j $$(( $(JOBS) + 1 ))
	@echo "== unit and sim tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	@$(MAKE) --no-print-directory asan-build
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit|sim' -LE valgrind

# Every test under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: asan-build
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE valgrind

asan-build: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNF_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS) >/dev/null

# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS.
fuzz:
	@scripts/deps.sh fuzz
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DNF_FUZZ=ON -DNF_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The Debian package, nodefleet_VERSION_ARCH.deb in $(BUILD)/ (scripts/mkdeb.sh says what is in it).
deb: build
	@scripts/deps.sh deb
	@scripts/mkdeb.sh $(BUILD)

# The Lambda package for provided.al2023, $(BUILD)/nodefleet-lambda.zip: bootstrap and every
# library it loads but glibc (scripts/mklambdazip.sh).
lambda-zip: build
	@scripts/deps.sh lambda
	@scripts/mklambdazip.sh $(BUILD)

# The long forms of two tests: `run` for 1,000 back-to-back cycles against the end-to-end lab
# (descriptors, sockets and threads must not grow; make test runs 300), and eight processes
# taking the DynamoDB lease 100 times each (make test: 40).
endurance: build
	@scripts/deps.sh test
	@NF_ENDURANCE_CYCLES=1000 python3 tests/e2e/test_modes.py $(BUILD) Endurance
	@NF_LEASE_ROUNDS=100 python3 tests/aws/test_aws.py $(BUILD) \
	    $(foreach s,Moto Dynalite Sqlite,LeaseOn$(s).test_eight_contenders_never_overlap)

# The chaos soak (tests/soak/soak.py): the end-to-end lab under a trace's load and a seeded
# schedule of faults, the invariants checked every second. SOAK_SEED replays one schedule;
# SOAK_MODE=lambda runs the Lambda runtime instead of the daemon pair.
SOAK_MINUTES ?= 30
SOAK_SEED ?=
SOAK_MODE ?= daemon
soak: build
	@scripts/deps.sh test
	@python3 tests/soak/soak.py $(BUILD) --minutes $(SOAK_MINUTES) --mode $(SOAK_MODE) \
	    $(if $(SOAK_SEED),--seed $(SOAK_SEED)) --report $(BUILD)/soak-report.json

# The CloudFormation template, deploy/aws/nodefleet.yaml, from its source and the user data
# scripts (scripts/mkcfn.py; the test aws_cfn fails when the committed one is stale).
cfn:
	@scripts/mkcfn.py

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz report.html
