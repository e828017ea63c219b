import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts import services as account_services
from accounts import steps
from accounts.models import LoginRecord
from ibank import clock, qr, ratelimit
from ibank.actor import network_of

from . import services, tokenid
from .conf import otp_settings
from .models import SoftwareToken, TokenBinding, TokenType
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
        {
            "mobile": TokenType.objects.policy("mobile"),
            "desktop": TokenType.objects.policy("desktop"),
            # The desktop type is for PCs (seed 000): warn on a smartphone.
            "on_smartphone": account_services.channel_for(request) == LoginRecord.Channel.SMARTPHONE,
        },
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
    ip = request.actor.ip
    allowed = ratelimit.allow(
        f"token-issue:{network_of(ip) if ip else ''}",  # an IPv6 sender is its /64
        limit=otp_settings.IBANK_TOKEN_ISSUE_LIMIT,
        window=otp_settings.IBANK_TOKEN_ISSUE_WINDOW_SECONDS,
    )
    if not allowed:
        messages.error(request, ISSUE_LIMITED)
        response = issue_index_view(request)
        response.status_code = 429
        return response
    try:
        token, key = services.token_issue(kind=kind, actor=request.actor)
    except services.IssuingClosed:
        messages.error(request, ISSUING_CLOSED % {"kind": TokenType.Kind(kind).label})
        return redirect("otp-issue")
    issuer = settings.OTP_TOTP_ISSUER
    if kind == TokenType.Kind.MOBILE:
        # Redirect, then show it (GET): a reload shows the same token again rather than issuing another.
        # A new issue while one shown here is still unregistered voids the earlier one, and the page says so.
        previous = request.session.get(ISSUED_MOBILE_KEY)
        voided = ""
        if isinstance(previous, list) and len(previous) == 4:
            voided_rows = SoftwareToken.objects.filter(pk=previous[0], status=SoftwareToken.Status.ISSUED).update(
                status=SoftwareToken.Status.RETIRED
            )
            voided = previous[1] if voided_rows else ""
        request.session[ISSUED_MOBILE_KEY] = [token.pk, token.token_id, voided, clock.epoch()]
        return redirect("otp-issue-mobile")
    return render(request, "otp/issue_desktop.html", {"token": token, "secret": b32(key), "issuer": issuer})


#: [token pk, token ID, the ID of an earlier token voided by this issue, issued at]
ISSUED_MOBILE_KEY = "_ibank_issued_mobile"
#: How long the mobile issuance page shows the same token again (a reload, a return from the QR app).
REDISPLAY_SECONDS = 10 * 60


@never_cache
def issued_mobile_view(request):
    """The mobile token just issued, shown again on a reload for REDISPLAY_SECONDS; afterwards only its ID."""
    stored = request.session.get(ISSUED_MOBILE_KEY)
    if not isinstance(stored, list) or len(stored) != 4:
        return redirect("otp-issue")
    token_pk, token_id, voided, issued_at = stored
    token = SoftwareToken.objects.filter(pk=token_pk).first()
    fresh = clock.epoch() - issued_at <= REDISPLAY_SECONDS
    if token is None or not fresh or token.status != SoftwareToken.Status.ISSUED:
        return render(
            request,
            "otp/issue_mobile.html",
            {"token_id": token_id, "expired": True, "registered": token is not None and token.status == "active"},
        )
    key = token.key()
    uri = token.provisioning_uri(settings.OTP_TOTP_ISSUER)
    context = {
        "token": token,
        "token_id": token.token_id,
        "uri": uri,
        "qr": qr.svg(uri, title=token.token_id),
        "secret": b32(key),
        "voided": voided,
        "shown_until": clock.now() + timedelta(seconds=REDISPLAY_SECONDS - (clock.epoch() - issued_at)),
    }
    return render(request, "otp/issue_mobile.html", context)


@never_cache
def desktop_token_view(request):
    """The desktop token (PC一体型): computes codes in the browser from the key it keeps."""
    on_smartphone = account_services.channel_for(request) == LoginRecord.Channel.SMARTPHONE
    return render(request, "otp/desktop_token.html", {"on_smartphone": on_smartphone})


#: The desktop token proves it holds a token's key by this HMAC (never a code: no OTP oracle here).
STATUS_DOMAIN = "ibank-token-status:"
#: ...and, to be shown what it would authorize, by an HMAC of the current 30-second step (a proof seen once,
#: in a log or a proxy, stops working within a minute).
AUTHORIZING_DOMAIN = "ibank-token-authorizing:"


def _fresh(key: bytes, token_id: str, proof: str) -> bool:
    step = int(clock.epoch()) // 30
    return any(
        constant_time_compare(
            hmac.new(key, f"{AUTHORIZING_DOMAIN}{token_id}:{s}".encode(), hashlib.sha1).hexdigest(), proof
        )
        for s in (step, step - 1)
    )


_NO_KEY = bytes(20)


@never_cache
@require_GET
def desktop_status_view(request):
    """Whether a desktop token still works: ``registered``, ``unregistered`` or ``void`` (stopped, reset,
    exchanged, expired), or ``unknown``. The browser proves it holds the token's key with
    HMAC-SHA1(key, STATUS_DOMAIN + token ID), so that nobody learns a token's state from its ID alone;
    an unknown ID and a wrong proof get the same answer, after the same work."""
    token_id = request.GET.get("token_id", "")[:16]
    proof = request.GET.get("proof", "")[:64]
    # an ID of no token's form names none (and never reaches the database: PostgreSQL refuses a NUL in text)
    token = SoftwareToken.objects.filter(token_id=token_id).first() if tokenid.well_formed(token_id) else None
    key = token.key() if token is not None else _NO_KEY
    expected = hmac.new(key, (STATUS_DOMAIN + token_id).encode(), hashlib.sha1).hexdigest()
    if token is None or not constant_time_compare(expected, proof):
        return JsonResponse({"state": "unknown"})
    binding = TokenBinding.objects.select_related("contract").filter(software_token=token).first()
    if binding is not None:
        answer = {"state": "registered"}
        if _fresh(token.key(), token_id, request.GET.get("now", "")[:64]):
            # What a code of this token would authorize now (the shinkin 取引認証 idea): payee and amount.
            items = steps.awaiting(binding.contract)
            answer["authorizing"] = [{"payee": i["payee"], "amount": f"{i['amount']:,}"} for i in items]
        return JsonResponse(answer)
    return JsonResponse({"state": "unregistered" if token.is_registrable() else "void"})
