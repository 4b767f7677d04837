"""QR codes as inline vector SVG, sized in millimetres per module so that phone cameras (and zbar)
read them on paper and on screen.
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data: str, module_mm: float, label: str) -> Markup:
    """A QR code as inline SVG, sized so that each module is ``module_mm`` millimetres."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    size = (code.modules_count + 8) * module_mm
    svg = code.make_image().to_string(encoding="unicode")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" width="{size:.2f}mm" '
                               f'height="{size:.2f}mm" ', 1)
    return Markup(svg)
