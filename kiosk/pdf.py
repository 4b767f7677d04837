"""PDFs from HTML with WeasyPrint. One FontConfiguration is shared by every render in a process
(building one per document is slow); sheets and reports both use it.

``render_pdf(html)`` lays the page out in the worker pool (kiosk/workers.py): the template is
rendered in the request, the layout (most of the time) runs in a worker process.
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


def pdf_from_html(html: str) -> bytes:
    """The PDF of a whole HTML document (no external resources: fonts are the system's)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf(font_config=font_configuration())


def render_pdf(html: str) -> bytes:
    """``pdf_from_html`` in the app's worker pool. Raises kiosk.workers.WorkersBusy when it is full."""
    from kiosk.workers import run_in_worker

    return run_in_worker(pdf_from_html, html)
