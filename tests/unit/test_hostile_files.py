"""Hostile and damaged files: a ledger CSV or content YAML that is huge, wide or binary is refused
whole with `line N: reason`, quickly, and nothing of it is stored."""

from __future__ import annotations

import time

import pytest

from kiosk.catalog.ledger import (
    MAX_CELL_CHARACTERS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    LedgerFileError,
    import_ledger,
    import_ledger_file,
)
from kiosk.catalog.loader import ContentError, load_catalog, read_yaml
from kiosk.db import connect
from kiosk.migrations import migrate

HEADER = "管理番号,手続名,所管課,根拠規定,押印の種類,見直し結果,見直し日,オンライン化,備考,手続ID\n"
GOOD_ROW = "A-1,犬の登録,生活衛生課,狂犬病予防法,認印,廃止,2021-04-01,未,,\n"


@pytest.fixture
def ledger_db(tmp_path):
    db = connect(str(tmp_path / "ledger.db"))
    migrate(db)
    yield db
    db.conn.close()


def refused(db, data: bytes) -> str:
    with pytest.raises(LedgerFileError) as caught:
        import_ledger(db, data)
    assert db.table("ledger_entries").count == 0, "a refused file must leave nothing behind"
    return str(caught.value)


def test_a_header_of_100000_columns_is_refused_at_once(ledger_db):
    wide = ",".join(f"列{index}" for index in range(100_000)) + "\n"
    started = time.perf_counter()
    message = refused(ledger_db, (wide + GOOD_ROW).encode())
    assert time.perf_counter() - started < 5
    assert message == f"line 1: the header has 100,000 columns; a ledger may have at most {MAX_COLUMNS}"


def test_a_header_at_the_column_limit_is_read(ledger_db):
    extra = ",".join(f"追加{index}" for index in range(MAX_COLUMNS - 10))
    report = import_ledger(ledger_db, (HEADER.rstrip("\n") + "," + extra + "\n" + GOOD_ROW).encode())
    assert report.inserted == 1 and "unknown column(s) ignored" in report.warnings[0]


def test_a_20_mb_cell_is_refused_naming_its_line_and_column(ledger_db):
    huge = "x" * (20 * 1024 * 1024)
    data = (HEADER + GOOD_ROW + "\n" + f'A-2,犬の登録,生活衛生課,,,廃止,2021-04-01,未,"{huge}",\n').encode()
    message = refused(ledger_db, data)
    assert message == f"line 4: the cell in column 9 (備考) is longer than {MAX_CELL_CHARACTERS:,} characters"


def test_a_20_mb_unquoted_cell_in_the_header_is_refused(ledger_db):
    message = refused(ledger_db, ("手続名," + "y" * (20 * 1024 * 1024) + "\n" + GOOD_ROW).encode())
    assert message == f"line 1: the cell in column 2 is longer than {MAX_CELL_CHARACTERS:,} characters"


def test_a_cell_just_over_the_cell_limit_is_refused_too(ledger_db):
    long_note = "長" * (MAX_CELL_CHARACTERS + 1)
    data = (HEADER + GOOD_ROW + f"A-2,犬の登録,生活衛生課,,,廃止,2021-04-01,未,{long_note},\n").encode()
    assert refused(ledger_db, data) == (f"line 3: the cell in column 9 (備考) is longer than "
                                        f"{MAX_CELL_CHARACTERS:,} characters")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_a_nul_byte_is_refused_with_its_line(ledger_db, encoding):
    data = (HEADER + GOOD_ROW + "A-2,犬の\x00登録,生活衛生課,,,廃止,2021-04-01,未,,\n").encode(encoding)
    assert refused(ledger_db, data) == "line 3: contains a NUL byte"


def test_a_utf16_file_is_named_as_such(ledger_db):
    message = refused(ledger_db, (HEADER + GOOD_ROW).encode("utf-16"))
    assert message.startswith("the file is UTF-16")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(ledger_db, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(LedgerFileError, match=r"^the file is 50\.0 MB; a ledger may be at most 50 MB$"):
        import_ledger_file(ledger_db, path)
    with pytest.raises(LedgerFileError, match="a ledger may be at most 50 MB"):
        import_ledger(ledger_db, b"x" * (MAX_FILE_BYTES + 1))


# --- content files -------------------------------------------------------------------------------

def test_read_yaml_refuses_a_nul_byte_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_bytes("id: broken\ntitle: 壊れた\x00ファイル\n".encode())
    data, problems = read_yaml(path)
    assert data is None
    assert [str(p) for p in problems] == [f"{path}: line 2: contains a NUL byte"]


def test_read_yaml_names_a_control_character_and_its_line(tmp_path):
    path = tmp_path / "bell.yaml"
    path.write_bytes(b"id: bell\nsummary: ok\ntitle: a\x07b\n")
    _, problems = read_yaml(path)
    assert [str(p) for p in problems] == [
        f"{path}: line 3: contains the character U+0007, which YAML does not allow"]


def test_read_yaml_reports_a_folder_named_like_a_file(tmp_path):
    path = tmp_path / "folder.yaml"
    path.mkdir()
    _, problems = read_yaml(path)
    assert len(problems) == 1 and str(problems[0]).startswith(f"{path}: cannot be read")


def test_the_loader_lists_a_nul_file_with_the_other_problems(content_copy):
    target = content_copy / "procedures" / "dog-registration.yaml"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\n\x00", 1))
    with pytest.raises(ContentError) as caught:
        load_catalog(content_copy)
    [problem] = caught.value.problems
    assert (problem.path, problem.message) == ("line 2", "contains a NUL byte")
    assert problem.file.endswith("procedures/dog-registration.yaml")
