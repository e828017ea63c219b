"""A clerk's operation refused as typed: what was typed comes back and the reason is said
(tests/test_typed_kept.py). The 役席's decision takes any comment up to its length, and the enrolment page is
for a clerk with no device yet: neither is refused by the values that test types."""

from tests.branch.test_fuzz_admin import _branch_forms, branch  # noqa: F401 (branch: a fixture)
from tests.test_typed_kept import refused_as_typed


def test_a_refused_operation_comes_back_with_what_was_typed(branch):  # noqa: F811
    assert "operate" in refused_as_typed(_branch_forms(branch))
