"""CPython's own tests of ``struct`` (``test.test_struct``), run against
``tether.Record`` through the ``tether_struct`` shim.

The suite is loaded as a fresh copy whose ``import struct`` finds the shim, so
every ``struct.pack`` in it is a ``Record.pack``. The tests in ``CANNOT_PASS``
compare CPython internals, not values or exception classes; they are run as
expected failures, so one that starts passing is reported too. Run this file
directly (``python crates/py/tests/test_struct_suite.py``) to print the
totals.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import types
import unittest
from typing import Dict, Optional, Tuple

import pytest

import tether_struct

# test name -> why it cannot pass against a binding of a Rust library.
CANNOT_PASS: Dict[str, str] = {
    "StructTest.test__sizeof__": "sys.getsizeof of CPython's PyStructObject and its code array",
    "StructTest.test__struct_types_immutable": (
        "setting an attribute of a C type; PyO3 can only make a class immutable under the "
        "stable ABI from Python 3.14 (the wheel is abi3 for 3.10+)"
    ),
    "StructTest.test_boundary_error_message": "CPython's exact wording of a short buffer",
    "StructTest.test_boundary_error_message_with_negative_offset": (
        "CPython's exact wording of a negative offset out of range"
    ),
    "StructTest.test_boundary_error_message_with_large_offset": (
        "CPython's exact wording of an offset past the buffer"
    ),
    "StructTest.test_issue35714": "CPython's exact wording 'embedded null character'",
    "StructTest.test_issue45034_signed": "CPython's exact wording of an integer out of range",
    "StructTest.test_issue45034_unsigned": "CPython's exact wording of an integer out of range",
    "StructTest.test_nN_code": "CPython's exact wording 'bad char in struct format'",
}

# Modules the suite imports, loaded first with the real struct so that only
# the suite itself sees the shim.
_PRELOAD = ("test.support", "test.support.import_helper", "test.support.script_helper")


def load_suite() -> Optional[types.ModuleType]:
    """A fresh copy of test.test_struct that imports the shim as struct, or
    None where this Python has no test package."""
    try:
        spec = importlib.util.find_spec("test.test_struct")
    except ImportError:
        spec = None
    if spec is None or spec.origin is None:
        return None
    for name in _PRELOAD:
        importlib.import_module(name)
    copy = importlib.util.spec_from_file_location("tether_test_struct", spec.origin)
    if copy is None or copy.loader is None:
        return None
    module = importlib.util.module_from_spec(copy)
    real = sys.modules["struct"]
    sys.modules["struct"] = tether_struct
    try:
        copy.loader.exec_module(module)
    finally:
        sys.modules["struct"] = real
    return module


def run_suite(module: types.ModuleType) -> Tuple[unittest.TestResult, str]:
    """Runs the suite with CANNOT_PASS as expected failures; returns the
    result and the runner's report."""
    for name in CANNOT_PASS:
        cls_name, test_name = name.split(".")
        cls = getattr(module, cls_name)
        setattr(cls, test_name, unittest.expectedFailure(getattr(cls, test_name)))
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    report = io.StringIO()
    result = unittest.TextTestRunner(stream=report, verbosity=2).run(suite)
    return result, report.getvalue()


def totals(result: unittest.TestResult) -> str:
    """One line: ran, passed, skipped, expected failures, failed."""
    bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - bad - len(result.skipped) - len(result.expectedFailures)
    return (
        f"test.test_struct against tether.Record: ran {result.testsRun}, passed {passed}, "
        f"skipped {len(result.skipped)}, expected failures {len(result.expectedFailures)}, "
        f"failed {bad}"
    )


def test_cpython_struct_suite_passes_against_record() -> None:
    module = load_suite()
    if module is None:
        pytest.skip(
            "this Python has no test.test_struct (on Debian: apt-get install "
            "libpython3.11-testsuite)"
        )
    result, report = run_suite(module)
    print(totals(result))
    assert result.wasSuccessful() and not result.unexpectedSuccesses, report
    assert len(result.expectedFailures) == len(CANNOT_PASS), report


if __name__ == "__main__":
    found = load_suite()
    if found is None:
        sys.exit("this Python has no test.test_struct")
    outcome, text = run_suite(found)
    print(text)
    print(totals(outcome))
    sys.exit(0 if outcome.wasSuccessful() and not outcome.unexpectedSuccesses else 1)
