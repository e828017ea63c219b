import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibank.kana import ALLOWED, MAX_LENGTH, KanaError, as_recorded, initial, to_zengin

# Mostly the characters customers type: kana of both widths, ASCII, and some that must be refused.
alphabet = st.sampled_from(
    "あいうえおがぱゃっをアイウエオガパャッヲヴヮヵヶｱｲｳｧｯｰｶﾞﾊﾟ"
    "abcXYZ019０１９ＡＺａｚ（）－ー・．／ 　()-./"
    "山田株〒@#&!~é😀\u3000\t"
)


@given(st.text(alphabet=alphabet, max_size=40))
def test_output_is_always_zengin_or_a_named_refusal(text):
    try:
        value = to_zengin(text)
    except KanaError as error:
        if error.invalid:
            # every refused character is named, and is really outside the set after conversion
            assert all(ch not in ALLOWED for ch in error.invalid)
        else:
            assert error.too_long or (error.empty and not text.strip(" \u3000"))
        return
    assert value and len(value) <= MAX_LENGTH
    assert all(ch in ALLOWED for ch in value)
    assert to_zengin(value) == value  # converting again changes nothing


@given(st.text(max_size=40))
def test_any_text_is_converted_or_refused(text):
    try:
        value = to_zengin(text)
    except KanaError:
        return
    assert all(ch in ALLOWED for ch in value)


@pytest.mark.parametrize(
    ("typed", "zengin"),
    [
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ｶﾞｯｺｳ", "ｶﾞﾂｺｳ"),
        ("キャッシュ", "ｷﾔﾂｼﾕ"),
        ("ヮヵヶ", "ﾜｶｹ"),
        ("スーパー", "ｽ-ﾊﾟ-"),
        ("ジョン・スミス", "ｼﾞﾖﾝ.ｽﾐｽ"),
        ("ｶ)ｻｸﾗ", "ｶ)ｻｸﾗ"),
        ("（ｶ）ｻｸﾗ", "(ｶ)ｻｸﾗ"),
        ("abc ＤＥＦ", "ABC DEF"),
    ],
)
def test_conversions(typed, zengin):
    assert to_zengin(typed) == zengin


@pytest.mark.parametrize(("typed", "invalid"), [("山田ﾀﾛｳ", "山田"), ("ｦﾀﾞ", "ｦ"), ("A&B", "&"), ("ﾀﾛｳ😀", "😀")])
def test_refusals_name_the_characters(typed, invalid):
    with pytest.raises(KanaError) as error:
        to_zengin(typed)
    assert error.value.invalid == invalid


def test_length_and_initial():
    assert to_zengin("ｱ" * 30) == "ｱ" * 30
    with pytest.raises(KanaError):
        to_zengin("ｱ" * 31)
    assert initial("ガッコウ") == "ｶ" and initial("ミツビシユ－エフジエイ") == "ﾐ"


SEARCHED = {  # as a clerk types it → as records write it
    "ヤマダ　タロウ": "ﾔﾏﾀﾞ ﾀﾛｳ",
    "しょうじ": "ｼﾖｳｼﾞ",
    "１２３４５６７": "1234567",
    "山田 タロウ": "山田 ﾀﾛｳ",
    "taro@example.jp": "taro@example.jp",
    "  ": "",
}


@pytest.mark.parametrize("typed", SEARCHED)
def test_a_search_reads_each_word_as_records_write_it(typed):
    assert as_recorded(typed) == SEARCHED[typed]
