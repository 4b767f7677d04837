"""The consultation log's code lists. Codes are stable across versions (statistics and exports
use them); labels go through Babel. docs/consultation-codes.md lists every code.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kiosk.catalog.schema import BlockReason

CHANNELS = {"counter": _l("窓口"), "outreach": _l("出張相談"), "phone": _l("電話"), "kiosk": _l("キオスク同伴")}


GENERAL_TOPICS = {
    "smartphone-basics": _l("スマホの基本操作"), "mynumber-card": _l("マイナンバーカード"),
    "mynaportal": _l("マイナポータル"), "pin": _l("暗証番号"), "line-email": _l("LINE・メール"),
    "fraud-security": _l("詐欺・セキュリティ"), "other": _l("その他"),
}


AGE_BANDS = {
    "under-20": _l("〜19歳"), "20s": _l("20代"), "30s": _l("30代"), "40s": _l("40代"), "50s": _l("50代"),
    "60-64": _l("60〜64歳"), "65-74": _l("65〜74歳"), "75-84": _l("75〜84歳"), "85-plus": _l("85歳〜"),
    "unknown": _l("不明"),
}


AGE_65_PLUS = ("65-74", "75-84", "85-plus")


VISITS = {"first": _l("はじめて"), "repeat": _l("2回目以上")}


LANGUAGES = {
    "ja": _l("日本語"), "easy-ja": _l("やさしい日本語"), "en": _l("英語"), "zh": _l("中国語"), "ko": _l("韓国語"),
    "vi": _l("ベトナム語"), "ne": _l("ネパール語"), "tl": _l("タガログ語"), "pt": _l("ポルトガル語"),
    "other": _l("その他の言語"),
}


ACCESSIBILITY = {
    "vision": _l("見えにくい"), "hearing": _l("聞こえにくい"), "mobility": _l("車いす・歩行"),
    "cognitive": _l("記憶・理解の支援"), "other": _l("その他の配慮"),
}


DEVICES = {"ios": _l("自分のスマホ（iPhone）"), "android": _l("自分のスマホ（Android）"), "kiosk": _l("キオスク"),
           "tablet": _l("区のタブレット"), "none": _l("使っていない")}


OUTCOMES = {
    "completed-online": _l("オンラインで完了"),
    "completed-online-assisted": _l("オンラインで完了（職員が入力）"),
    "handed-off": _l("案内シートを渡した"),
    "referred-counter": _l("窓口へ案内"),
    "referred-elsewhere": _l("ほかの機関へ案内"),
    "not-resolved": _l("解決しなかった"),
}


ONLINE_OUTCOMES = ("completed-online", "completed-online-assisted")


REASONS = {
    BlockReason.NO_CARD.value: _l("カードがない"),
    BlockReason.CARD_EXPIRED.value: _l("カードの期限切れ"),
    BlockReason.CERTIFICATE_EXPIRED.value: _l("電子証明書の期限切れ"),
    BlockReason.PIN_UNKNOWN.value: _l("暗証番号がわからない"),
    BlockReason.PIN_LOCKED.value: _l("暗証番号のロック"),
    BlockReason.SIGNATURE_PIN_UNKNOWN.value: _l("署名用暗証番号がわからない"),
    BlockReason.NO_SMARTPHONE.value: _l("対応スマホがない"),
    BlockReason.DOCUMENTS_MISSING.value: _l("書類が足りない"),
    BlockReason.NOT_ELIGIBLE_ONLINE.value: _l("オンラインの対象外"),
    BlockReason.UNDER_15.value: _l("15歳未満（コンビニ交付の対象外）"),
    "other": _l("その他の理由"),
}


MINUTE_PICKS = (5, 10, 15, 30, 60)


MAX_MINUTES = 480


NOTE_LIMIT = 1000


MAX_TOPICS = 10
