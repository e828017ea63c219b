"""Bank and branch search by reading as people type it (issue 18): small kana and long vowels fold the way
the Zengin master writes names (新宿 is シンジユク there; customers type しんじゅく)."""

import jaconv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibank.kana import KATAKANA, search_reading
from zengin.management.commands.load_zengin import _search_text
from zengin.models import Bank, Branch
from zengin.search import _name_query


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("しんじゅく", "シンジユク"),
        ("シンジュク", "シンジユク"),
        ("ｼﾝｼﾞｭｸ", "シンジユク"),
        ("きょうと", "キヨウト"),
        ("ちゅうきん", "チユウキン"),
        ("センター", "センタ-"),
        ("がっこう", "ガツコウ"),
    ],
)
def test_a_reading_as_typed_folds_to_the_masters_spelling(typed, stored):
    assert search_reading(typed) == stored


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kana", "typed"), [("新宿", "ｼﾝｼﾞﾕｸ", "しんじゅく"), ("京都", "ｷﾖｳﾄ", "きょうと")])
def test_a_branch_is_found_by_its_reading_as_typed(client, contract, name, kana, typed):
    from tests.helpers import login

    bank = Bank.objects.create(code="0009", name="三井住友", kana="ﾐﾂｲｽﾐﾄﾓ", initial="ﾐ", search_text="三井住友")
    Branch.objects.create(
        bank=bank, code="221", name=name, kana=kana, initial=kana[0], search_text=_search_text(name, kana)
    )
    login(client, contract)
    page = client.get(f"/transfer/banks/{bank.code}/", {"q": typed}).content.decode()
    assert name in page


SMALL = {"ﾔ": "ｬ", "ﾕ": "ｭ", "ﾖ": "ｮ", "ﾂ": "ｯ", "ｱ": "ｧ", "ｲ": "ｨ", "ｳ": "ｩ", "ｴ": "ｪ", "ｵ": "ｫ"}


@st.composite
def reading_and_typed(draw):
    """A master reading (large half-width kana, dakuten, long vowels as "-") and one way a person types it."""
    letters = st.sampled_from([*KATAKANA, "ｶﾞ", "ｼﾞ", "ﾊﾟ", "-"])
    master = "".join(draw(st.lists(letters, min_size=2, max_size=8)))
    if master.startswith("-"):
        master = "ｱ" + master
    typed = "".join(SMALL.get(ch, ch) if draw(st.booleans()) else ch for ch in master)
    typed = typed.replace("-", draw(st.sampled_from(["ー", "-", "ｰ"])))
    script = draw(st.sampled_from(["hiragana", "katakana", "half"]))
    full = jaconv.h2z(typed, kana=True)
    typed = {"hiragana": jaconv.kata2hira(full), "katakana": full, "half": typed}[script]
    return master, typed


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(reading_and_typed())
def test_any_reading_the_master_writes_is_found_as_typed(pair):
    master, typed = pair
    bank = Bank.objects.get_or_create(code="0010", defaults={"name": "試験", "kana": "ｼｹﾝ", "initial": "ｼ"})[0]
    branch = Branch.objects.create(
        bank=bank,
        code=f"{Branch.objects.count():03d}",
        name="支店",
        kana=master,
        initial="ｱ",
        search_text=_search_text("支店", master),
    )
    assert bank.branches.filter(_name_query(typed), pk=branch.pk).exists(), (master, typed)


@pytest.mark.django_db
def test_names_of_the_same_reading_list_by_code_on_every_database(client, contract):
    """The lists are cut at 100 banks / 200 branches: names that read alike must come in one order (their
    code), or which of them the cut leaves out would depend on the database's scan order."""
    from tests.helpers import login

    bank = Bank.objects.create(code="0011", name="試験", kana="ｼｹﾝ", initial="ｼ", search_text="試験")
    for code in ("303", "302", "301"):  # stored in reverse
        Branch.objects.create(
            bank=bank,
            code=code,
            name=f"中央{code}",
            kana="ﾁﾕｳｵｳ",
            initial="ﾁ",
            search_text=_search_text("中央", "ﾁﾕｳｵｳ"),
        )
    for code in ("0903", "0902", "0901"):
        Bank.objects.create(
            code=code, name=f"中央{code}", kana="ﾁﾕｳｵｳ", initial="ﾁ", search_text=_search_text("中央", "ﾁﾕｳｵｳ")
        )
    login(client, contract)

    branches = client.get(f"/transfer/banks/{bank.code}/", {"q": "ちゅうおう"}).content.decode()
    assert branches.index("中央301") < branches.index("中央302") < branches.index("中央303")
    banks = client.get("/transfer/banks/", {"q": "ちゅうおう"}).content.decode()
    assert banks.index("中央0901") < banks.index("中央0902") < banks.index("中央0903")


@pytest.mark.django_db
def test_the_50_on_index_has_a_row_a_kana_column_and_each_kana_once(client, contract):
    import re

    from tests.helpers import login

    login(client, contract)
    page = client.get("/transfer/banks/").content.decode()
    rows = re.findall(r'<p class="initial-row">(.*?)</p>', page)
    read = ["".join(re.findall(r">([ｦ-ﾝ])</a>", row)) for row in rows]
    assert read == ["ｱｲｳｴｵ", "ｶｷｸｹｺ", "ｻｼｽｾｿ", "ﾀﾁﾂﾃﾄ", "ﾅﾆﾇﾈﾉ", "ﾊﾋﾌﾍﾎ", "ﾏﾐﾑﾒﾓ", "ﾔﾕﾖ", "ﾗﾘﾙﾚﾛ", "ﾜﾝ"]


@pytest.mark.django_db
def test_a_bank_of_up_to_30_branches_lists_them_all_before_a_search(client, contract):
    from tests.helpers import login

    bank = Bank.objects.create(code="0010", name="小さな銀行", kana="ﾁｲｻﾅ", initial="ﾁ", search_text="小さな銀行")
    for n in range(30):
        Branch.objects.create(bank=bank, code=f"{n:03d}", name=f"支店{n}", kana="ｼﾃﾝ", initial="ｼ", search_text="")
    login(client, contract)
    assert client.get(f"/transfer/banks/{bank.code}/").content.decode().count("支店") >= 30
    Branch.objects.create(bank=bank, code="030", name="支店30", kana="ｼﾃﾝ", initial="ｼ", search_text="")
    assert "支店0" not in client.get(f"/transfer/banks/{bank.code}/").content.decode()  # search or choose an initial
