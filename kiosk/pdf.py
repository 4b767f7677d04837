"""PDFs from HTML with WeasyPrint. One FontConfiguration is shared by every render in a process
(building one per document is slow); sheets and reports both use it.
"""

from __future__ import annotations

import threading

_font_config = None


_font_lock = threading.Lock()


def font_configuration():
    global _font_config
    with _font_lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config
