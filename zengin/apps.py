from django.apps import AppConfig


class ZenginConfig(AppConfig):
    """The Zengin master (banks, branches), the Zengin character set, and the 全銀 file's records."""

    name = "zengin"
    verbose_name = "全銀（金融機関マスタ）"
