#!/usr/bin/env bash
# The core crate's rooms depend only downwards: domain <- store, msgraph, queue <- app (support beside them).
# The domain must build without the AWS SDK; neither domain nor store may import from a room
# above it. Prints each offending line and fails if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
src=shared/src
bad=0
check() { # ROOM PATTERN: no line of code (comments aside) under ROOM may match PATTERN
  if grep -rnHE "$2" "$src/$1" | grep -vE '^[^:]+:[0-9]+:\s*//'; then
    echo "error: $src/$1 imports from a room above it (see docs/architecture.md)" >&2
    bad=1
  fi
}
check domain 'crate::(store|msgraph|queue|app)\b|aws_sdk|aws_config|tokio|serde_dynamo|reqwest'
check store 'crate::(app|msgraph|queue)\b'
check support 'crate::(store|queue|app)\b'
check msgraph 'crate::(store|queue|app)\b|aws_sdk|serde_dynamo'
check queue.rs 'crate::(store|msgraph|app)\b|serde_dynamo'
[ "$bad" = 0 ] || exit 1
# The fuzz targets depend on the core without its default features, in a workspace of their own
# where nothing turns `aws` on: checking them checks that the domain compiles without the AWS
# SDK, and that the fuzz targets still compile against it (stable, no libFuzzer: no C++).
cargo check --quiet --locked --manifest-path fuzz/Cargo.toml --no-default-features
echo "rooms: domain <- store, msgraph, queue <- app holds; the domain and the fuzz targets build without the AWS SDK"
