"""本人名義: two names are the member's own when a bank would record them as the same
name (`shunfuri.domain.own_name`): compared in Zengin half-width kana, spaces ignored."""

from __future__ import annotations

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shunfuri.domain import normalise
from shunfuri.domain.own_name import holder_key, is_own, member_kana, name_key
from shunfuri.errors import ShunfuriError

PLAIN = list("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン")
VOICED = {"カ": "ガ", "キ": "ギ", "サ": "ザ", "タ": "ダ", "ハ": "バ", "ホ": "ボ", "ヒ": "ピ"}
SMALL = {"ヤ": "ャ", "ユ": "ュ", "ヨ": "ョ", "ツ": "ッ", "ア": "ァ", "イ": "ィ"}
KANA = st.sampled_from(PLAIN + list(VOICED.values()) + ["ー"])
NAMES = st.lists(st.text(KANA, min_size=1, max_size=5), min_size=1, max_size=3)
SPACES = st.sampled_from([" ", "\u3000", "  ", ""])


def key_of_member(typed: str) -> str:
    return member_kana(typed)[1]


@pytest.mark.parametrize("typed", [
    "ヤマダ タロウ", "ヤマダ　タロウ", "やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞﾀﾛｳ", "ヤマダタロウ",
    " ヤマダ  タロウ ", "ﾔﾏﾀ\u3099 タロウ", "ヤマタ\u309b タロウ",
])
def test_the_same_name_however_it_is_typed(typed):
    assert key_of_member(typed) == "ﾔﾏﾀﾞﾀﾛｳ"
    assert is_own("ﾔﾏﾀﾞﾀﾛｳ", normalise.normalise_holder_name(typed))


@pytest.mark.parametrize("left,right", [
    ("キャッシュ ハナコ", "キヤツシユ ハナコ"),   # Zengin has no small kana
    ("サトー ケン", "サト- ケン"),                # one long-vowel mark, however typed
    ("サトー ケン", "サトｰ ケン"),
    ("サトー ケン", "サト\u2015 ケン"),
])
def test_what_the_bank_cannot_tell_apart_is_equal(left, right):
    assert holder_key(left) == holder_key(right)


@pytest.mark.parametrize("left,right", [
    ("ヤマダ タロウ", "ヤマタ タロウ"),   # a voiced mark present or not
    ("オーノ サチコ", "オオノ サチコ"),   # a long-vowel mark is not the vowel it lengthens
    ("ヤマダ タロウ", "ヤマダ ハナコ"),
    ("ヤマダ タロウ", "ヤマダ タロ"),
    ("サトウ ケン", "サトウ ゲン"),
    ("ヒロコ", "ピロコ"),
])
def test_a_different_name_stays_different(left, right):
    assert holder_key(left) != holder_key(right)


def test_an_unknown_member_name_accepts_any_account():
    assert is_own(None, "ｽｽﾞｷ ﾊﾅｺ")


def test_the_member_name_is_kept_in_full_width_katakana():
    assert member_kana("やまだ　 たろう")[0] == "ヤマダ タロウ"
    assert member_kana("ﾔﾏﾀﾞ ﾀﾛｳ")[0] == "ヤマダ タロウ"


@pytest.mark.parametrize("typed", ["", "   ", "山田太郎", "ヤマダ☆タロウ", "ア" * 31, "ア" * 65])
def test_a_name_no_account_could_carry_is_refused_on_its_field(typed):
    with pytest.raises(ShunfuriError) as caught:
        member_kana(typed)
    assert caught.value.code == "validation_error"
    assert caught.value.extra["errors"][0]["field"] == "name_kana"


@given(parts=NAMES, gaps=st.lists(SPACES, min_size=4, max_size=4))
def test_spacing_never_matters(parts, gaps):
    spaced = gaps[0] + "".join(p + g for p, g in zip(parts, gaps[1:] + [""] * 3, strict=False))
    joined = "".join(parts)
    if len(normalise.normalise_holder_name(joined)) > normalise.HOLDER_NAME_MAX:
        return
    assert holder_key(spaced) == holder_key(joined)


@given(parts=NAMES)
def test_hiragana_full_and_half_width_katakana_are_one_name(parts):
    name = " ".join(parts)
    if len(normalise.normalise_holder_name(name)) > normalise.HOLDER_NAME_MAX:
        return
    forms = [name, jaconv.kata2hira(name), jaconv.z2h(name, kana=True)]
    assert len({holder_key(form) for form in forms}) == 1
    assert len({key_of_member(form) for form in forms}) == 1


@given(parts=NAMES, data=st.data())
def test_small_kana_are_their_full_size(parts, data):
    name = " ".join(parts) + data.draw(st.sampled_from(list(SMALL)))
    small = name[:-1] + SMALL[name[-1]]
    if len(normalise.normalise_holder_name(name)) > normalise.HOLDER_NAME_MAX:
        return
    assert holder_key(small) == holder_key(name)


@given(parts=NAMES, data=st.data())
def test_a_voiced_mark_always_makes_another_name(parts, data):
    plain = data.draw(st.sampled_from(list(VOICED)))
    name = " ".join(parts)
    if len(normalise.normalise_holder_name(name + VOICED[plain])) > normalise.HOLDER_NAME_MAX:
        return
    assert holder_key(name + plain) != holder_key(name + VOICED[plain])


@given(parts=NAMES)
def test_the_kept_name_is_stable_and_keyed_as_the_bank_form(parts):
    typed = " ".join(parts)
    if len(normalise.normalise_holder_name(typed)) > normalise.HOLDER_NAME_MAX:
        return
    kept, key = member_kana(typed)
    assert member_kana(kept) == (kept, key)
    assert key == name_key(normalise.normalise_holder_name(kept))
    assert is_own(key, normalise.normalise_holder_name(typed))
