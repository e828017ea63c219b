from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.db.models.query import get_related_populators

#: What a request loads with its user, in the same query: the contract, and what higher rooms register
#: with :func:`load_with_user` (otp: the token binding the authorization method reads on most pages).
_with_user: list[str] = ["contract"]
_compiled: dict = {}


def load_with_user(path: str) -> None:
    """Load ``path`` (a ``select_related`` path from the user) with every request's user."""
    if path not in _with_user:
        _with_user.append(path)
        _compiled.clear()


class _UserQuery:
    """The request's user query (with what :func:`load_with_user` added), compiled once per process.

    Every request runs it, and Django compiles a queryset anew each time: for this ``select_related`` that
    was about a millisecond of CPU, more than the round trip. This keeps the SQL and the compiler Django made
    for it and, per request, executes the SQL with the user's id and builds the objects as Django's own
    ``ModelIterable`` does (the same converters, ``from_db`` and related populators). Django is pinned to
    5.2 LTS; ``tests/accounts/test_backends.py`` compares the result with the ORM's."""

    PROBE = -7_000_000_001  # stands for the id while compiling

    def __init__(self, alias: str, paths: tuple[str, ...]):
        queryset = get_user_model().objects.using(alias).select_related(*paths).filter(pk=self.PROBE)
        self.compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        if list(params) != [self.PROBE]:
            raise RuntimeError(f"unexpected parameters for the user query: {params!r}")
        self.alias = alias
        select, klass_info = self.compiler.select, self.compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.model, self.fields = klass_info["model"], (start, end)
        self.init_list = [column[0].target.attname for column in select[start:end]]
        self.populators = get_related_populators(klass_info, select, alias)

    def get(self, user_id):
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, [user_id])
            rows = cursor.fetchall()
        for row in self.compiler.results_iter([rows]):
            start, end = self.fields
            user = self.model.from_db(self.alias, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, user)
            return user
        return None


def _user_query(alias: str = "default") -> _UserQuery:
    key = (alias, connections[alias].vendor, tuple(_with_user))
    if key not in _compiled:
        _compiled[key] = _UserQuery(alias, key[2])
    return _compiled[key]


class IbankBackend(ModelBackend):
    """Django's ModelBackend, loading a customer's contract (and what is registered) with the user: one
    query per request, not several, compiled once."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _user_query().get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
