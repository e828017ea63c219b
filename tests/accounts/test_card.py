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
