"""The resident's kiosk screens."""

from __future__ import annotations

from flask import Blueprint, abort, request

from ..catalog import get_catalog
from ..web import render_page

bp = Blueprint("kiosk", __name__)


@bp.get("/")
def start():
    catalog = get_catalog()
    return render_page("kiosk/start.html", categories=list(catalog.categories.values()))


@bp.get("/procedures")
def procedures():
    catalog = get_catalog()
    selected = request.args.get("category", "")
    if selected and selected not in catalog.categories:
        abort(404)
    categories = [c for c in catalog.categories.values() if not selected or c.id == selected]
    groups = [(c, catalog.in_category(c.id)) for c in categories]
    return render_page("kiosk/procedures.html", groups=groups, selected=selected,
                       categories=list(catalog.categories.values()))


@bp.get("/procedures/<procedure_id>")
def procedure(procedure_id: str):
    catalog = get_catalog()
    proc = catalog.procedures.get(procedure_id)
    if proc is None:
        abort(404)
    return render_page("kiosk/procedure.html", procedure=proc, needs=catalog.needs,
                       category=catalog.categories[proc.category])
