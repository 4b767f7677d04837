"""Display names for the content's controlled values, through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SEAL_STATUS = {
    "abolished": _l("押印は不要です（廃止されました）"),
    "not-required": _l("押印は不要です"),
    "optional": _l("押印または署名のどちらでもかまいません"),
    "required": _l("押印が必要です"),
}
SEAL_STATUS_SHORT = {
    "abolished": _l("押印廃止"),
    "not-required": _l("押印不要"),
    "optional": _l("押印任意"),
    "required": _l("押印必要"),
}
CHANNEL_KIND = {
    "online": _l("オンライン"),
    "convenience-store": _l("コンビニ"),
    "counter": _l("窓口"),
    "mail": _l("郵送"),
}
REVIEW_RESULT = {
    "abolished": _l("押印廃止"),
    "never-required": _l("もともと不要"),
    "kept": _l("押印存続"),
}
ONLINE_STATE = {
    "online": _l("オンラインでできる"),
    "planned": _l("オンライン化の予定あり"),
    "offline": _l("オンラインではできない"),
}

# Marks content shown in Japanese because it has no translation yet (kiosk/catalog/translate.py).
JAPANESE_ONLY = _l("日本語のみ")
