"""ibank.labels: a choice field's label from one dictionary is the text get_FOO_display() gives, in the
active language, for every choice (and the raw value for one that is not a choice)."""

import pytest
from django.utils import translation

from accounts.models import Account
from ledger.models import Memo, Posting
from payments.models import Payment, Transfer


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_same_text_as_get_foo_display(language):
    cases = [
        (Transfer, "status", "status_label", Transfer.Status.values),
        (Transfer, "payee_kind", "payee_kind_label", Account.Kind.values),
        (Payment, "status", "status_label", Payment.Status.values),
        (Account, "kind", "kind_label", Account.Kind.values),
        (Posting, "memo", "memo_label", Memo.values),
    ]
    with translation.override(language):
        for model, field, label, values in cases:
            for value in [*values, "not-a-choice"]:
                obj = model(**{field: value})
                assert getattr(obj, label) == str(getattr(obj, f"get_{field}_display")()), (model, value)
