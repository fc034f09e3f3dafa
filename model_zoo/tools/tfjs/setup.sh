#!/usr/bin/env bash
# The TensorFlow.js loader's own tools, beside the cell under test and never inside it:
# Node's packages from the lockfile, and the tensorflowjs converter in a virtual environment
# of its own (tensorflowjs 4.22 requires TensorFlow 2.19, jax, flax and tf_keras), pinned in
# requirements.txt.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --no-cache-dir --disable-pip-version-check -r requirements.txt
.venv/bin/tensorflowjs_converter --version >/dev/null
