# callscope — the two commands a new user needs:
#   make demo   run the main job locally (no AWS account needed)
#   make test   run every test against a local DynamoDB-compatible server it starts and stops
.PHONY: demo test lint check-events infra-check venv events fresh-events clean

demo: venv
	@scripts/demo.sh

test: venv check-events infra-check
	scripts/with-moto.sh cargo test --workspace --all-targets

# The SAM template, checked by both validators (no AWS credentials needed).
infra-check: venv
	SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --region us-east-1 -t infra/template.yaml
	.venv/bin/cfn-lint infra/template.yaml

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

venv:
	@scripts/venv.sh

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
