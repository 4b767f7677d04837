"""QR codes as inline vector SVG (served with the page, no image request): sized in millimetres
per module for paper (handoff sheets), or in CSS pixels per module for screens (the kiosk's
handoff screen, device enrollment links), so that phone cameras — and zbar in the tests — read
them. Each has an accessible name.
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from qrcode.compat.etree import ET

# The quiet zone around the code, in modules: the 4 the QR specification asks for.
QUIET_ZONE = 4


def qr_svg(data: str, label: str, *, module_mm: float | None = None, module_px: int | None = None) -> Markup:
    """``data`` as an inline SVG QR code named ``label`` for screen readers, each module
    ``module_mm`` millimetres (print) or ``module_px`` CSS pixels (screens) — give one of the two."""
    if (module_mm is None) == (module_px is None):
        raise ValueError("give the module size either in millimetres (module_mm) or in pixels (module_px)")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image()
    side = code.modules_count + 2 * QUIET_ZONE
    size = f"{side * module_mm:.2f}mm" if module_mm is not None else f"{side * module_px}px"
    svg = image.get_image()
    svg.set("width", size)
    svg.set("height", size)
    svg.set("role", "img")
    svg.set("aria-label", label)  # escaped by ElementTree
    if image.path is not None:
        image.path.attrib.pop("id", None)  # qrcode's fixed id would repeat when a page shows two codes
    return Markup(ET.tostring(svg, encoding="unicode"))
