"""金融機関・支店の検索: a bank or branch found by its name as the customer types it, or by the 50-on index."""

import jaconv
from django import forms
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from accounts.decorators import customer_required
from ibank import kana
from ibank.kana import KATAKANA

from .models import Bank, Branch


class BankSearchForm(forms.Form):
    q = forms.CharField(label=_("金融機関名"), required=False, max_length=40)


class BranchSearchForm(forms.Form):
    q = forms.CharField(label=_("支店名"), required=False, max_length=40)


# The 50-on index: ｱ行 … ﾜ行.
INITIALS = [KATAKANA[i : i + 5] for i in range(0, 35, 5)] + [KATAKANA[35:38], KATAKANA[38:43], KATAKANA[43:]]


def _name_query(text: str) -> Q:
    """Match a name typed in kanji, hiragana, katakana (full or half width, small kana and ー as people type
    them) or romaji."""
    text = text.strip()
    variants = {
        text,
        jaconv.hira2kata(jaconv.h2z(text, kana=True)),
        jaconv.kata2hira(jaconv.h2z(text, kana=True)),
        kana.search_reading(text),  # the master's spelling: small kana large, ー as "-" (しんじゅく → シンジユク)
    }
    query = Q()
    for variant in variants:
        if variant:
            query |= Q(search_text__icontains=variant)
    return query


def _found(request, form_class, rows):
    """The search form and initial asked for, and ``rows`` matching the name typed or else the initial chosen
    (None when neither was asked)."""
    form = form_class(request.GET or None)
    initial = request.GET.get("initial", "")
    if form.is_valid() and form.cleaned_data["q"]:
        return form, initial, rows.filter(_name_query(form.cleaned_data["q"]))
    if len(initial) == 1 and initial in KATAKANA:  # ("" is in every string: no initial chosen is no initial)
        return form, initial, rows.filter(initial=initial)
    return form, initial, None


#: By reading, then code: the lists are cut (100 banks, 200 branches), and names that read alike must be cut the
#: same way on every database.
_ORDER = ("kana", "code")


@customer_required
def bank_search_view(request):
    form, initial, banks = _found(request, BankSearchForm, Bank.objects.all())
    if banks is None:
        banks = Bank.objects.none()
    return render(
        request,
        "transfers/bank_search.html",
        {"form": form, "banks": banks.order_by(*_ORDER)[:100], "initials": INITIALS, "initial": initial},
    )


@customer_required
def branch_search_view(request, bank_code):
    bank = get_object_or_404(Bank, code=bank_code)
    form, initial, branches = _found(request, BranchSearchForm, bank.branches.all())
    if branches is None:  # a bank of few branches lists them all
        branches = bank.branches.all() if bank.branches.count() <= 30 else Branch.objects.none()
    context = {"form": form, "initials": INITIALS, "initial": initial, "branches": branches.order_by(*_ORDER)[:200]}
    return render(request, "transfers/branch_search.html", {"bank": bank, **context})
