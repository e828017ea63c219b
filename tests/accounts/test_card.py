import pytest

from accounts.models import CARD_CELLS, Contract
from tests.conftest import CARD


def test_card_digits_are_encrypted_at_rest(make_contract):
    contract = make_contract(method=Contract.Method.CARD)
    stored = Contract.objects.values_list("card_cells", flat=True).get(pk=contract.pk)
    assert CARD not in stored
    assert contract.card_grid() == dict(zip(CARD_CELLS, CARD, strict=True))


def test_challenge_is_kept_until_answered(make_contract):
    contract = make_contract(method=Contract.Method.CARD)
    cells = contract.card_challenge_cells()
    assert len(cells) == 4 and len(set(cells)) == 4
    again = Contract.objects.get(pk=contract.pk)
    assert again.card_challenge_cells() == cells  # a reload does not re-roll
    assert not again.check_card_answer("xxxx")
    assert Contract.objects.get(pk=contract.pk).card_challenge_cells() == cells  # a wrong answer keeps it
    grid = dict(zip(CARD_CELLS, CARD, strict=True))
    assert again.check_card_answer("".join(grid[c] for c in cells))
    assert Contract.objects.get(pk=contract.pk).card_challenge == ""  # answered: consumed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reloads_draw_one_challenge(make_contract):
    """Pages opened at once (reloads, tabs, a script re-rolling) all show the same four cells: the draw is a
    conditional write that only the first makes, so racing requests can never pick among several challenges."""
    from tests.concurrency import run_concurrently

    contract = make_contract(method=Contract.Method.CARD)
    for _round in range(5):
        Contract.objects.filter(pk=contract.pk).update(card_challenge="")
        shown = run_concurrently(lambda _i: Contract.objects.get(pk=contract.pk).card_challenge_cells(), 8)
        assert all(not isinstance(cells, Exception) for cells in shown), shown
        stored = Contract.objects.get(pk=contract.pk).card_challenge.split()
        assert all(cells == stored for cells in shown), shown
