"""OTP settings with their defaults (override in ibank/settings.py or the environment)."""

from django.conf import settings


class _Settings:
    defaults = {
        # Steps accepted either side of the current one (±30 s each).
        "IBANK_OTP_WINDOW": 1,
        # Consecutive failures that lock a token binding until the branch unlocks it.
        "IBANK_OTP_MAX_FAILURES": 5,
        # Tokens issued but never registered expire after this many days.
        "IBANK_TOKEN_UNREGISTERED_DAYS": 30,
        # Issuance per client address: at most this many tokens per window.
        "IBANK_TOKEN_ISSUE_LIMIT": 10,
        "IBANK_TOKEN_ISSUE_WINDOW_SECONDS": 3600,
    }

    def __getattr__(self, name):
        if name not in self.defaults:
            raise AttributeError(name)
        return getattr(settings, name, self.defaults[name])


otp_settings = _Settings()
