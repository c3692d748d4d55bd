"""Schema-driven fuzzing of the whole API with schemathesis: no 5xx, every response matches the OpenAPI schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_api_never_errors_and_matches_its_schema(server):
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(cli), "run", f"{server}/openapi.json", "--checks", "not_a_server_error,response_schema_conformance",
         "--max-examples", "30", "--seed", "1", "--exclude-path-regex", "saved-searches", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout
