"""E-mail notices to the customer (SPEC §8): :func:`notify` writes the notice and enqueues its delivery in the
transaction of the event, so it commits with the money or the lock, or not at all; the task worker sends it
(notices.delivery). No request waits for the mail server.

They never carry a secret: no password, no code, no key; token IDs are masked.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ibank import clock, compiled

SUBJECTS = {
    "login": _("ログインのお知らせ"),
    "login_notice_changed": _("ログイン通知の設定変更のお知らせ"),
    "passkey_registered": _("パスキー登録のお知らせ"),
    "passkey_removed": _("パスキー削除のお知らせ"),
    "token_registered": _("ワンタイムパスワード利用登録のお知らせ"),
    "token_exchanged": _("ワンタイムパスワード交換のお知らせ"),
    "token_stopped": _("ワンタイムパスワード利用停止のお知らせ"),
    "ib_suspended": _("インターネットバンキング取引中止のお知らせ"),
    "login_locked": _("ログイン停止のお知らせ"),
    "otp_locked": _("ワンタイムパスワード停止のお知らせ"),
    "token_setup_locked": _("ソフトウェアトークン登録停止のお知らせ"),
    "token_reset": _("トークンIDリセットのお知らせ"),
    "token_lost": _("ソフトウェアトークン紛失届受付のお知らせ"),
    "device_lost": _("端末紛失届受付のお知らせ"),
    "unlocked": _("停止解除のお知らせ"),
    "contract_cancelled": _("インターネットバンキング解約のお知らせ"),
    "contract_changed": _("ご契約内容変更のお知らせ"),
    "limit_changed": _("振込限度額変更のお知らせ"),
    "email_changed": _("メールアドレス変更のお知らせ"),
    "password_changed": _("ログインパスワード変更のお知らせ"),
    "password_reset": _("ログインパスワード再設定のお知らせ"),
    "transfer_password_changed": _("資金移動用パスワード変更のお知らせ"),
    "transfer_password_reset": _("資金移動用パスワード再設定のお知らせ"),
    "transaction_locked": _("お取引停止（取引認証停止）のお知らせ"),
    "transfer_done": _("お振込受付のお知らせ"),
    "transfer_reserved": _("振込予約受付のお知らせ"),
    "transfer_reservation_cancelled": _("振込予約取消のお知らせ"),
    "transfer_failed": _("振込予約不成立のお知らせ"),
    "payeasy_done": _("収納サービス（Pay-easy）払込み完了のお知らせ"),
    "payeasy_blocked": _("収納サービス（Pay-easy）利用停止のお知らせ"),
}


def mask_token_id(token_id: str) -> str:
    """SMBL12345678 -> SMBL****5678."""
    return f"{token_id[:4]}****{token_id[-4:]}" if len(token_id) == 12 else "****"


def subject(event: str) -> str:
    return f"【{settings.BANK_NAME}】{SUBJECTS[event]}"


def notify(contract, event: str, **context) -> None:
    """Write the notice ``event`` to the contract's address of this moment and enqueue its delivery, both in
    the current transaction (a change of address notifies the old one, then the new one).

    A notice never carries a link: phishing mails do, and every notice's footer tells the customer that the
    bank's never do (they log in from their own bookmark). So the templates get no site address."""
    if not contract.email:
        return
    from .models import Notice
    from .tasks import deliver

    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            f"emails/{event}.txt",
            {
                "contract": contract,
                "at": clock.now(),
                "BANK_NAME": settings.BANK_NAME,
                "HELPDESK_PHONE": settings.BANK_HELPDESK_PHONE,
                "HELPDESK_HOURS": settings.BANK_HELPDESK_HOURS,
                **context,
            },
        )
        title = subject(event)
    notice = Notice(contract_id=contract.pk, event=event, to=contract.email, subject=title, body=body)
    compiled.insert(notice)
    deliver.enqueue(str(notice.pk))
