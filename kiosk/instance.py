"""`kiosk init PATH`: a new instance folder for a ward's installation, with its own editable copy
of the content (the package's content stays as shipped, so an upgrade never overwrites the ward's
edits), the database migrated and a secret key. Served with ``KIOSK_INSTANCE_PATH=PATH``: the app
then reads ``PATH/content`` (kiosk/__init__.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click


def create_instance(path: Path, content_source: Path) -> Path:
    """Copy ``content_source`` into ``path/content`` (refused when it exists: those are the ward's
    edits) and return that folder."""
    content = path / "content"
    if content.exists():
        raise click.ClickException(f"{content} already exists: nothing was changed (it holds the ward's edits)")
    if not (content_source / "categories.yaml").is_file():
        raise click.ClickException(f"{content_source} has no content to copy (set KIOSK_CONTENT_DIR)")
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(content_source, content)
    return content


@click.command("init", help="Create an instance folder PATH with an editable copy of the content, "
                            "the database and a secret key. Serve it with KIOSK_INSTANCE_PATH=PATH.")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def init_command(path: Path) -> None:
    from kiosk import create_app
    from kiosk.settings import SettingsError, load_settings
    from kiosk.storage import StorageError

    path = path.resolve()
    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    content = create_instance(path, Path(settings.CONTENT_DIR))
    try:
        app = create_app({"INSTANCE_PATH": str(path), "CONTENT_DIR": str(content), "SESSION_PURGE_SECONDS": 0})
    except (SettingsError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {path}: content {content}, database {app.config['DATABASE']}.")
    click.echo(f"Edit the content there (then `kiosk content check`), add the first administrator with "
               f"`kiosk user add NAME --role admin`, and serve with KIOSK_INSTANCE_PATH={path} kiosk serve")
