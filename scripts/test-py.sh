#!/usr/bin/env bash
# Build the dlp Python package and run its tests and the type stub check.
#
# Usage: scripts/test-py.sh [PYTEST_ARGS...]
#
# Creates a virtual environment (default target/py-venv, or $DLP_PY_VENV)
# with $PYTHON (default python3, CPython 3.9 or later), installs the test
# tools from PyPI, builds the wheel with maturin from the workspace,
# installs it, then runs pytest in dlp-py/ and `python -m mypy.stubtest
# dlp`. Exits non-zero on the first failure.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
venv=${DLP_PY_VENV:-$root/target/py-venv}
wheels=$root/target/py-wheels

fail() {
    echo "test-py.sh: FAILED: $*" >&2
    exit 1
}

step() {
    echo "test-py.sh: $*" >&2
}

step "creating the virtual environment $venv"
"$python" -m venv "$venv" || fail "could not create a venv with $python"
py=$venv/bin/python

step "installing maturin, pytest, hypothesis, python-stdnum and mypy"
"$py" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.5,<2" pytest hypothesis python-stdnum mypy \
    typing_extensions ||
    fail "pip could not install the test tools"

# pandas only runs the README example; without it that test is skipped.
if ! "$py" -m pip install --quiet --disable-pip-version-check pandas; then
    echo "test-py.sh: warning: pandas could not be installed; the README" \
        "example test will be skipped" >&2
fi

step "building the wheel with maturin"
rm -rf "$wheels"
"$py" -m maturin build --release --manifest-path "$root/dlp-py/Cargo.toml" \
    --out "$wheels" || fail "maturin build failed"

step "checking that the source distribution contains the sensors"
# dlp-core embeds ../sensors through the dlp-core/sensors link; an sdist
# without those files would not build.
"$py" -m maturin sdist --manifest-path "$root/dlp-py/Cargo.toml" \
    --out "$wheels" || fail "maturin sdist failed"
# The listing is read once: with pipefail, `tar | grep -q` fails when grep
# stops reading early.
listing=$(tar tzf "$wheels"/dlp-*.tar.gz) || fail "the sdist is unreadable"
for name in fr_nir us_ssn credit_card iban email; do
    grep -q "/dlp-core/sensors/$name.toml$" <<<"$listing" ||
        fail "the sdist lacks dlp-core/sensors/$name.toml"
done

step "installing the wheel"
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps "$wheels"/dlp-*.whl || fail "the wheel did not install"

step "running pytest"
# Run from dlp-py/ so pyproject.toml's pytest settings apply, and from the
# installed wheel rather than the python/ sources.
(cd "$root/dlp-py" && "$py" -m pytest "$@") || fail "pytest failed"

step "running mypy.stubtest on the installed package"
(cd "$root/dlp-py" && "$py" -m mypy.stubtest dlp) ||
    fail "the type stub does not match the module"

step "all Python tests passed"
