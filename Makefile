# callscope — the two commands a new user needs:
#   make demo   run the main job locally (no AWS account needed)
#   make test   run every test against a local DynamoDB-compatible server it starts and stops
.PHONY: demo dev token test stress scale lint check-rooms check-events check-package infra-check package stack-test browser-test screenshots fuzz fuzz-smoke venv events fresh-events clean

demo: venv
	@scripts/demo.sh

# The local stack kept up (gateway on port $(GATEWAY_PORT), default 8787) until Ctrl-C.
dev: venv
	@scripts/dev.sh

# A dev token for the local gateway: make token ROLE=support-specialist
ROLE ?= support-specialist
token:
	@cargo run -q -p callscope-dev -- token $(ROLE)

# The stack tests build what the Rust tests just built (STACK_BUILD=workspace), not a narrower
# selection whose other features would mean a second build.
test: venv check-rooms check-events check-package infra-check
	scripts/test-rust.sh
	STACK_BUILD=workspace scripts/stack-test.sh
	STACK_BUILD=workspace scripts/browser-test.sh

# The Rust tests with the stress tests at full size (1,000-way races, 1,000 faulty ingests);
# make test runs them smaller on every commit.
stress: venv
	CALLSCOPE_STRESS=full scripts/test-rust.sh

# A scaled tenant (SCALE_RECORDS call records, default 600) through the stand-in Graph with
# Graph's limits time-scaled, 30 % of its requests throttled, a lost notification and a `missed`
# event: records stored, lost (fails if any), Graph requests per record, drain time. BENCHMARKS.md.
scale: venv
	@scripts/scale.sh

# The web console in headless Chromium against the local stack (screenshots in browser/ under the target directory).
browser-test: venv
	scripts/browser-test.sh

# The README's pictures: the browser tests run, then the nine pictures of the screenshot contract
# copied from browser/ under the target directory into docs/screenshots/ (a missing one fails).
screenshots: venv
	scripts/screenshots.sh

# The whole local stack over HTTP, then torn down.
stack-test: venv
	scripts/stack-test.sh

# For deployment (not part of make test: release builds take minutes): every function of the
# template built for Lambda (arm64, release) into the target/lambda/<binary>/ its CodeUri names,
# then checked against the template. See infra/README.md.
package: venv
	@scripts/package.sh

# The artifact check of make package, on small fake artifact trees, and the template's
# functions against the workspace's binaries.
check-package: venv
	@.venv/bin/python scripts/test_package.py

# The SAM template, checked by both validators and scanned by Checkov (no AWS credentials needed;
# every failed check fails this, a skipped one carries its reason in the template).
infra-check:
	@scripts/venv.sh infra
	SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --region us-east-1 -t infra/template.yaml
	.venv/bin/cfn-lint infra/template.yaml
	.venv-scan/bin/checkov --quiet --compact --skip-download --framework cloudformation -f infra/template.yaml

# Every fuzz target for FUZZ_SECONDS each (release build); a finding fails it. See docs/testing.md.
FUZZ_SECONDS ?= 300
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS) release

# The quick run CI makes: a debug build, 10 seconds per target (past findings and the seeds replayed first).
fuzz-smoke:
	scripts/fuzz.sh 10 dev

lint:
	cargo fmt --all -- --check
	scripts/unused-deps.sh
	cargo clippy --workspace --all-targets -- -D warnings

venv:
	@scripts/venv.sh

# The core crate's rooms depend only downwards, and the domain (and the fuzz targets on it)
# builds without the AWS SDK.
check-rooms:
	@scripts/check-rooms.sh

# events/*.json are generated from events/graph/*.json; fail if someone edited one by hand.
check-events:
	@python3 scripts/events.py --check

events:
	python3 scripts/events.py

# Re-dated copies of the sample events (calls older than 30 days are refused), for invoking a local stack.
fresh-events:
	python3 scripts/events.py --fresh .local/events

clean:
	rm -rf .local target
