"""The way to a login page for a request that needs one, the customer's or the branch's: ``next`` is the page
asked for, so that the login comes back to it.

A page's own query is a few prefilled fields. A longer one is no one's: Django refuses to redirect to a URL
over 16,384 characters (a 400, logged as an error by django.security for each request), and ``next`` is
encoded again within the login's URL (at most three times as long). Past :data:`NEXT_MAX_LENGTH` the login
comes back to the page without its query, or (a path as long) to the login's own default.
"""

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login

NEXT_MAX_LENGTH = 2000


def to_login(request, login_url=None):
    back = request.get_full_path()
    if too_long_to_come_back_to(request):
        back = request.path if len(request.path) <= NEXT_MAX_LENGTH else settings.LOGIN_REDIRECT_URL
    return redirect_to_login(back, login_url, redirect_field_name=REDIRECT_FIELD_NAME)


def too_long_to_come_back_to(request) -> bool:
    """True when :func:`to_login` would not bring the login back to this very address."""
    return len(request.get_full_path()) > NEXT_MAX_LENGTH
