"""金融機関・支店の検索: a bank or branch found by its name as the customer types it, or by the 50-on index."""

import jaconv
from django import forms
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from accounts.decorators import customer_required

from . import kana
from .kana import KATAKANA
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


@customer_required
def bank_search_view(request):
    form = BankSearchForm(request.GET or None)
    initial = request.GET.get("initial", "")
    banks = Bank.objects.none()
    if form.is_valid() and form.cleaned_data["q"]:
        banks = Bank.objects.filter(_name_query(form.cleaned_data["q"]))
    elif initial in KATAKANA:
        banks = Bank.objects.filter(initial=initial)
    return render(
        request,
        "transfers/bank_search.html",
        {"form": form, "banks": banks.order_by("kana")[:100], "initials": INITIALS, "initial": initial},
    )


@customer_required
def branch_search_view(request, bank_code):
    bank = get_object_or_404(Bank, code=bank_code)
    form = BranchSearchForm(request.GET or None)
    initial = request.GET.get("initial", "")
    branches = Branch.objects.none()
    if form.is_valid() and form.cleaned_data["q"]:
        branches = bank.branches.filter(_name_query(form.cleaned_data["q"]))
    elif initial in KATAKANA:
        branches = bank.branches.filter(initial=initial)
    elif bank.branches.count() <= 30:
        branches = bank.branches.all()
    return render(
        request,
        "transfers/branch_search.html",
        {
            "bank": bank,
            "form": form,
            "branches": branches.order_by("kana")[:200],
            "initials": INITIALS,
            "initial": initial,
        },
    )
