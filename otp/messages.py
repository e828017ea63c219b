"""What the customer is told about one-time passwords."""

from django.utils.translation import gettext_lazy as _

from ibank.helpdesk import with_contact

OTP_HELP = _("トークンに表示されている数字6桁を入力してください。(30秒毎に数字が変更されます。)")
OTP_FORMAT = _("ワンタイムパスワードは半角数字6桁で入力してください。")
OTP_WRONG = _("ワンタイムパスワードが正しくありません。トークンに表示されている数字6桁を入力してください。")
OTP_REUSED = _("このワンタイムパスワードは使用済みです。トークンの数字が変わってから、新しい数字を入力してください。")
OTP_LOCKED = with_contact(
    _("ワンタイムパスワードの誤りが規定回数に達したため、ワンタイムパスワードによる認証を停止しています。")
)
OTP_TRIES_LEFT = _("あと%(count)s回誤るとワンタイムパスワードによる認証が停止されます。")
TOKEN_EXPIRED = _(
    "ご利用のソフトウェアトークンは利用期限を過ぎています。"
    "ログイン画面の「ワンタイムパスワードの利用登録／交換はこちら」から新しいトークンに交換してください。"
)


TOKEN_GONE = _("ワンタイムパスワードの利用登録が解除されたため、処理を中止しました。最初からやり直してください。")


OTP_LOST = with_contact(
    _("ソフトウェアトークンの紛失届を受け付けているため、ワンタイムパスワードはご利用いただけません。")
)


def message_for(result):
    """The customer's message for a refused verification (an ``otp.verifier.Result``)."""
    from .verifier import Outcome

    if result.now_locked or result.outcome is Outcome.LOCKED:
        return OTP_LOCKED
    if result.outcome is Outcome.WRONG and result.left is not None and result.left <= 2:
        return f"{OTP_WRONG}{OTP_TRIES_LEFT % {'count': result.left}}"
    return {
        Outcome.WRONG: OTP_WRONG,
        Outcome.REUSED: OTP_REUSED,
        Outcome.TOKEN_EXPIRED: TOKEN_EXPIRED,
        Outcome.GONE: TOKEN_GONE,
        Outcome.LOST: OTP_LOST,
    }[result.outcome]
