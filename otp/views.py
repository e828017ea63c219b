from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from accounts.audit import client_ip
from ibank import qr, ratelimit

from . import services
from .conf import otp_settings
from .models import TokenType
from .totp import b32

ISSUE_LIMITED = _("短時間に多くのトークンが発行されました。しばらく時間をおいてから、もう一度お試しください。")
ISSUING_CLOSED = _("%(kind)sトークンの新規発行は終了しました。")
UNKNOWN_KIND = _("トークンの種類を選択してください。")


@never_cache
def issue_index_view(request):
    """トークン発行: choose the mobile or the desktop type."""
    return render(
        request,
        "otp/issue_index.html",
        {"mobile": TokenType.objects.policy("mobile"), "desktop": TokenType.objects.policy("desktop")},
    )


@require_POST
@csrf_protect
@never_cache
def issue_view(request):
    """Create a token and hand its secret over once, in this response only."""
    kind = request.POST.get("kind", "")
    if kind not in TokenType.Kind.values:
        messages.error(request, UNKNOWN_KIND)
        return redirect("otp-issue")
    allowed = ratelimit.allow(
        f"token-issue:{client_ip(request)}",
        limit=otp_settings.IBANK_TOKEN_ISSUE_LIMIT,
        window=otp_settings.IBANK_TOKEN_ISSUE_WINDOW_SECONDS,
    )
    if not allowed:
        messages.error(request, ISSUE_LIMITED)
        response = issue_index_view(request)
        response.status_code = 429
        return response
    try:
        token, key = services.token_issue(kind=kind, request=request)
    except services.IssuingClosed:
        messages.error(request, ISSUING_CLOSED % {"kind": TokenType.Kind(kind).label})
        return redirect("otp-issue")
    issuer = settings.OTP_TOTP_ISSUER
    if kind == TokenType.Kind.MOBILE:
        uri = token.provisioning_uri(issuer)
        context = {"token": token, "uri": uri, "qr": qr.svg(uri, title=token.token_id), "secret": b32(key)}
        return render(request, "otp/issue_mobile.html", context)
    return render(request, "otp/issue_desktop.html", {"token": token, "secret": b32(key), "issuer": issuer})


@never_cache
def desktop_token_view(request):
    """The desktop token (PC一体型): computes codes in the browser from the key it keeps."""
    return render(request, "otp/desktop_token.html")
