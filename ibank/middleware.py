from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if settings.PRODUCTION:
            response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


BAD_CHARSET_MESSAGE = _(
    "送信された文字コードを処理できません。ブラウザの文字コードの設定をご確認のうえ、もう一度お試しください。"
)


class FormCharsetMiddleware:
    """Refuse a form POST that is not UTF-8 with a 400 and a message, before anything reads request.POST.

    Django refuses such bodies by raising BadRequest wherever request.POST is
    first read (the CSRF check, a view): refused here, in one place, with a page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.split(";")[0].strip().lower() in FORM_TYPES:
            charset = _charset(content_type)
            if charset is not None and charset not in UTF8_NAMES:
                return render(request, "400.html", {"message": BAD_CHARSET_MESSAGE}, status=400)
        return self.get_response(request)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
UTF8_NAMES = {"utf-8", "utf8"}


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _sep, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None
