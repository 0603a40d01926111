#!/usr/bin/env bash
# Host build and unit/simulation tests of the core (Swift Testing).
set -euo pipefail
swift build
swift test --parallel 2>&1 | tail -n 30
