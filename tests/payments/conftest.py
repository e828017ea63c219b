import pytest
from django.conf import settings

from zengin.models import Bank, Branch

# A small Zengin master: the bank itself (settings) and two other banks.
OTHER_BANK = ("0005", "三菱ＵＦＪ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "ﾐ")
OTHER_BRANCH = ("001", "本店", "ﾎﾝﾃﾝ")


@pytest.fixture(autouse=True)
def zengin_master(db):
    own = Bank.objects.create(
        code=settings.IBANK_BANK_CODE, name=settings.BANK_NAME, kana="ｻｸﾗｶｸｳｼﾝｷﾝ", initial="ｻ", search_text="さくら"
    )
    for code, name, kana in settings.IBANK_BRANCHES:
        Branch.objects.create(bank=own, code=code, name=name, kana=kana, initial=kana[0], search_text=name)
    code, name, kana, initial = OTHER_BANK
    other = Bank.objects.create(code=code, name=name, kana=kana, initial=initial, search_text=f"{name} ミツビシ")
    Branch.objects.create(
        bank=other,
        code=OTHER_BRANCH[0],
        name=OTHER_BRANCH[1],
        kana=OTHER_BRANCH[2],
        initial="ﾎ",
        search_text="本店 ホンテン",
    )
    Bank.objects.create(code="0001", name="みずほ", kana="ﾐｽﾞﾎ", initial="ﾐ", search_text="みずほ ミズホ")
    return own
