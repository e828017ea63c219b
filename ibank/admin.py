from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.views.main import ERROR_FLAG, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite

from . import kana, login_redirect, sessions
from .money import yen
from .text import half_width_digits, yen_typed


class IbankAdminSite(OTPAdminSite):
    """Staff admin: staff login plus the staff member's own TOTP device (SPEC §7).

    The login form, its template and the enrollment page are the ``accounts``
    app's (a higher layer): it plugs them in from its ready() through
    ``login_form``, ``extra_urls`` and ``enrollment_needed``.
    """

    site_header = "ibank 営業店管理"
    site_title = "ibank 営業店管理"
    index_title = "営業店業務"
    login_template = "admin/ibank_login.html"

    def __init__(self, name="admin"):
        super().__init__(name)
        self.extra_urls = []
        self.enrollment_needed = None

    def get_urls(self):
        return self.extra_urls + super().get_urls()

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(_a_query_a_list_can_run(view), cacheable)

        @wraps(inner)
        def bounded(request, *args, **kwargs):
            # Django sends a visitor without permission to the login with the whole address as next; one too
            # long to redirect to was a 400 and an error in the log. The same bounded way as the customer's.
            if login_redirect.too_long_to_come_back_to(request) and not self.has_permission(request):
                return login_redirect.to_login(request, reverse(f"{self.name}:login", current_app=self.name))
            return inner(request, *args, **kwargs)

        return bounded if cacheable else never_cache(bounded)

    def login(self, request, extra_context=None):
        # Password accepted, no device yet: the staff member enrolls their own before anything else.
        if self.enrollment_needed is not None and self.enrollment_needed(request.user):
            return redirect(f"{self.name}:staff-enroll")
        # Sent from the session its first press logged in (a double click): that login answers, the same code is
        # not evaluated again (it would be refused as used, and the clerk told the login failed).
        again = request.method == "POST" and request.POST.get("username") == request.user.get_username()
        if again and self.has_permission(request):
            return redirect(f"{self.name}:index")
        if request.method != "POST":
            return super().login(request, extra_context)
        # One commit for what a press writes (the code's use, the failure count, the entry), and a login's session
        # (in Redis) written before it: a session out of reach fails the login before an 'admin.login ok' stays.
        with transaction.atomic():
            response = super().login(request, extra_context)
            if request.user.is_authenticated:
                sessions.write_now(request.session)
        return response


#: The longest search a list runs. A clerk searches for an ID, a name, an account number or an address; each word
#: of a search is one LIKE a searched field, and SQLite refuses a LIKE pattern over 50,000 bytes (a server error).
SEARCH_MAX_LENGTH = 100


def _a_query_a_list_can_run(view):
    """A query string holding a NUL (typed by no one; PostgreSQL refuses it in text: a list filtered by it was a
    server error) is answered as Django answers a lookup it cannot run: the page again, marked ``?e=1``. A search
    longer than ``SEARCH_MAX_LENGTH`` is not run: the list again with the other filters, and a message that says
    how long a search may be. A ``_to_field`` naming a relation that points here (another model's foreign key,
    such as a contract's ``passkey_challenges``) is refused as Django refuses any field it may not reference (400):
    Django 5.2 asks such a relation whether it is the primary key, which it cannot answer (a server error)."""
    opts = getattr(getattr(view, "__self__", None), "opts", None)  # a model's page: its ModelAdmin's model

    @wraps(view)
    def guarded(request, *args, **kwargs):
        to_field = opts and request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and _names_a_relation_here(opts, to_field):
            raise DisallowedModelAdminToField(f"The field {to_field} cannot be referenced.")
        if any("\x00" in name + "".join(values) for name, values in request.GET.lists()):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        if len(request.GET.get(SEARCH_VAR, "")) > SEARCH_MAX_LENGTH:
            messages.error(request, _("検索語は%(limit)s文字以内で入力してください。") % {"limit": SEARCH_MAX_LENGTH})
            query = request.GET.copy()
            del query[SEARCH_VAR]
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return view(request, *args, **kwargs)

    return guarded


def _names_a_relation_here(opts, name: str) -> bool:
    """Whether ``name`` is one of the relations other models hold to this one (no column of its own)."""
    try:
        return not opts.get_field(name).concrete
    except FieldDoesNotExist:
        return False  # Django refuses it itself


admin_site = IbankAdminSite(name="admin")


class CappedCountPaginator(Paginator):
    """For a table that only grows (the audit log, the notices, the payments): counts at most ``CAP`` + 1 rows
    (``COUNT(*)`` over a ``LIMIT``), since counting every row would cost more each year (about 0.1 s a million
    rows on PostgreSQL here). Beyond it the page says 「…件以上」 (templates/admin/pagination.html) and links
    the first ``CAP`` rows' pages; a filter or a search narrows it, and below the cap its count is exact."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class ReadOnlyTabularInline(admin.TabularInline):
    """A record's rows shown, never edited here: a table that scrolls sideways on a narrow screen, in a
    region the keyboard can focus (it holds no field to tab to)."""

    template = "admin/edit_inline/tabular_region.html"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LabelledTabularInline(admin.TabularInline):
    """An editable table whose fields say what they are to a screen reader: a column heading is not a label
    (axe: label), so each input carries its field's name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs.setdefault("aria-label", str(field.label or db_field.verbose_name))
        return field


class YenAmountField(forms.IntegerField):
    """An amount in yen typed by a clerk as a customer would (3,300 / ３，３００ / 3300円: ibank.text.yen_typed), in a
    text box: a number box refuses a comma, and the admin's says only 「整数を入力してください。」."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "size": "14", "autocomplete": "off"})

    def to_python(self, value):
        return super().to_python(yen_typed(value) if isinstance(value, str) else value)


#: an admin's (or an inline's) ``formfield_overrides`` for amounts in yen (1 yen at least)
YEN_AMOUNTS = {models.BigIntegerField: {"form_class": YenAmountField, "widget": YenAmountField.widget, "min_value": 1}}


class ReadOnlyAdminMixin:
    """Records staff may read but never add, change or delete here (audit log, token records)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IdSearchMixin:
    """An id a customer reads out (a 契約者ID, a 受付番号), half- or full-width, looked up by its index rather than
    a scan for the text: ``id_fields`` maps a count of digits to the field it names."""

    id_fields: dict[int, str] = {}

    def get_search_results(self, request, queryset, search_term):
        term = half_width_digits(search_term.strip())
        if term.isascii() and term.isdigit() and len(term) in self.id_fields:
            return queryset.filter(**{self.id_fields[len(term)]: term}), False
        return super().get_search_results(request, queryset, search_term)


class TypedSearchMixin:
    """A clerk searches as the IME types: カナ or かな where names are recorded in Zengin kana (ﾔﾏﾀﾞ ﾀﾛｳ), full-width
    digits where numbers are ASCII. The search finds what matches the words as typed or as records write them."""

    def get_search_results(self, request, queryset, search_term):
        found, may_repeat = super().get_search_results(request, queryset, search_term)
        recorded = kana.as_recorded(search_term)
        if recorded and recorded != " ".join(search_term.split()):
            also, also_may_repeat = super().get_search_results(request, queryset, recorded)
            found, may_repeat = found | also, may_repeat or also_may_repeat
        return found, may_repeat


class YenFieldsMixin:
    """On a detail page, an amount shown read-only (its ``<field>_yen`` column among the read-only fields) is
    written 1,000,000円 in the amount's place."""

    def get_fields(self, request, obj=None):
        readonly = self.get_readonly_fields(request, obj)
        shown = [f"{name}_yen" if f"{name}_yen" in readonly else name for name in super().get_fields(request, obj)]
        return list(dict.fromkeys(shown))


def yen_column(field: str, description):
    """An admin column (or read-only field) showing the amount ``field`` as 1,234,567円, sortable by it: the
    admin writes integers bare (10000000), which a clerk misreads by a digit."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return yen(getattr(obj, field))

    return column
