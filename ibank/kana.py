"""受取人名 in the Zengin character set (SPEC §2): pure, no Django.

Conversion: hiragana → katakana, full-width → half-width (jaconv), small kana
→ large (our own table: jaconv has none), ー/－/ｰ → ``-``, ・ → ``.``, a–z →
A–Z. Allowed afterwards: ｱ–ﾝ (no small kana, no ｦ), ﾞ ﾟ, A–Z, 0–9, space and
``( ) - . /``. Anything else is refused, naming the characters.
"""

import jaconv

MAX_LENGTH = 30

KATAKANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ"
ALLOWED = frozenset(KATAKANA + "ﾞﾟ" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + " ()-./")

# Small kana become large; done before and after the width conversion, because
# some full-width small kana (ヮ ヵ ヶ) have no half-width form.
SMALL_TO_LARGE = str.maketrans(
    {
        "ｧ": "ｱ",
        "ｨ": "ｲ",
        "ｩ": "ｳ",
        "ｪ": "ｴ",
        "ｫ": "ｵ",
        "ｯ": "ﾂ",
        "ｬ": "ﾔ",
        "ｭ": "ﾕ",
        "ｮ": "ﾖ",
        "ァ": "ア",
        "ィ": "イ",
        "ゥ": "ウ",
        "ェ": "エ",
        "ォ": "オ",
        "ッ": "ツ",
        "ャ": "ヤ",
        "ュ": "ユ",
        "ョ": "ヨ",
        "ヮ": "ワ",
        "ヵ": "カ",
        "ヶ": "ケ",
    }
)
_PUNCTUATION = str.maketrans(
    {
        "ー": "-",
        "－": "-",
        "ｰ": "-",
        "‐": "-",
        "−": "-",
        "・": ".",
        "･": ".",
        "\u3000": " ",
    }
)


class KanaError(ValueError):
    """A name that cannot be written in the Zengin character set."""

    def __init__(self, *, invalid: str = "", too_long: bool = False):
        super().__init__(invalid or ("too long" if too_long else "empty"))
        #: the refused characters, each once, in order of appearance
        self.invalid = invalid
        self.too_long = too_long
        self.empty = not invalid and not too_long


def to_zengin(text: str) -> str:
    """``text`` converted to the Zengin character set, or KanaError naming what cannot be."""
    value = jaconv.hira2kata(text.translate(_PUNCTUATION)).translate(SMALL_TO_LARGE)
    value = jaconv.z2h(value, kana=True, ascii=True, digit=True)
    value = value.translate(_PUNCTUATION).translate(SMALL_TO_LARGE).upper()
    value = value.strip(" ")
    invalid = "".join(dict.fromkeys(ch for ch in value if ch not in ALLOWED))
    if invalid:
        raise KanaError(invalid=invalid)
    if not value or len(value) > MAX_LENGTH:
        raise KanaError(too_long=bool(value))
    return value


def search_reading(text: str) -> str:
    """A reading as typed (hiragana or katakana, full or half width, small kana, ー) in the form the Zengin
    master writes readings (full-width katakana, large kana only, ``-`` for a long vowel), as the bank search
    stores them: しんじゅく, シンジュク and ｼﾝｼﾞｭｸ all become シンジユク."""
    value = jaconv.hira2kata(jaconv.h2z(text, kana=True))
    return value.translate(SMALL_TO_LARGE).translate(_LONG_VOWEL)


_LONG_VOWEL = str.maketrans({"ー": "-", "－": "-", "ｰ": "-", "‐": "-", "−": "-"})


def as_recorded(words: str) -> str:
    """A search as a clerk types it (IME kana, full-width digits and letters) in the form records write it:
    each word in the Zengin set where it can be (ヤマダ　タロウ → ﾔﾏﾀﾞ ﾀﾛｳ, １２３ → 123), any other word as
    typed (山田, an address)."""
    recorded = []
    for word in words.split():
        try:
            recorded.append(to_zengin(word))
        except KanaError:
            recorded.append(word)
    return " ".join(recorded)


def initial(kana: str) -> str:
    """The 50-on index letter of a reading (half- or full-width): its first kana, large and without dakuten."""
    try:
        first = to_zengin(kana)[:1]
    except KanaError:
        return ""
    return first if first in KATAKANA else ""
