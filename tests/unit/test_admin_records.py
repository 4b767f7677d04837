"""The administrators' data modules on a real database: sites, devices, the users list and the
audit log. A refused write says why and leaves every table as it was, audit log included."""

from __future__ import annotations

import json

import pytest

from kiosk.admin import devices
from kiosk.admin.devices import DeviceError, create_device, get_device, list_devices, printer_settings, revoke_device
from kiosk.admin.overview import record_counts
from kiosk.admin.sites import SiteError, active_sites, create_site, get_site, list_sites, update_site
from kiosk.audit import AUDIT_COLUMNS, audit, audit_page, audit_rows
from kiosk.staff.accounts import create_user, list_users
from tests.conftest import add_sites_and_staff

EVENT = {"name": "図書館 出張相談", "kind": "event", "venue": "中央図書館", "starts_on": "2026-12-01",
         "ends_on": "2026-12-31"}
KIOSK = {"name": "北 キオスク2", "kind": "kiosk", "site_id": 1, "printer_queue": "kita-a4", "paper": "a4"}


@pytest.fixture
def records(db):
    add_sites_and_staff(db)
    return db


def audit_entries(db) -> list[dict]:
    return list(db.query("select user_id, action, entity, entity_id, before, after from audit_log order by id"))


def snapshot(db) -> dict:
    return {table: list(db.query(f"select * from {table} order by id")) for table in ("sites", "devices", "audit_log")}


# --- sites -----------------------------------------------------------------------------------------

def test_a_site_is_created_with_its_audit_entry(records):
    site_id = create_site(records, EVENT | {"venue": ""}, by_user=4)
    row = get_site(records, site_id)
    assert {k: row[k] for k in EVENT} == EVENT | {"venue": None}  # empty text is stored as NULL
    assert row["created_at"] and row["archived_at"] is None
    [entry] = audit_entries(records)
    assert entry | {"after": json.loads(entry["after"])} == {
        "user_id": 4, "action": "create", "entity": "site", "entity_id": str(site_id), "before": None,
        "after": EVENT | {"venue": None}}


def test_archiving_keeps_the_first_date_and_lists_the_site_last(records):
    update_site(records, 1, {"name": "北出張所", "kind": "branch"}, archived=True, by_user=4)
    archived_at = get_site(records, 1)["archived_at"]
    assert archived_at
    update_site(records, 1, {"name": "北出張所（旧）", "kind": "branch"}, archived=True, by_user=4)
    assert get_site(records, 1)["archived_at"] == archived_at
    assert [s["id"] for s in list_sites(records)] == [2, 1]
    assert [s["id"] for s in active_sites(records)] == [2]
    update_site(records, 1, {"name": "北出張所", "kind": "branch"}, archived=False, by_user=4)
    assert get_site(records, 1)["archived_at"] is None
    before = json.loads(audit_entries(records)[1]["before"])
    assert before["name"] == "北出張所" and before["archived_at"] == archived_at


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "", "kind": "branch"}, "a site needs a name"),
    ({"name": "x", "kind": "office"}, "unknown site kind 'office'"),
    ({"name": "x", "kind": "event", "starts_on": "2026-13-01"}, "starts_on must be a date"),
    ({"name": "x", "kind": "event", "starts_on": "2026-12-31", "ends_on": "2026-12-01"}, "ends_on is before"),
    ({"name": "x", "kind": "branch", "venu": "typo"}, "unknown site fields: venu"),
])
def test_a_site_that_breaks_a_rule_is_refused_whole(records, fields, message):
    before = snapshot(records)
    with pytest.raises(SiteError, match=message):
        create_site(records, fields, by_user=4)
    with pytest.raises(SiteError, match=message):
        update_site(records, 2, fields, archived=False, by_user=4)
    assert snapshot(records) == before


def test_updating_a_missing_site_says_so(records):
    before = snapshot(records)
    with pytest.raises(SiteError, match="no site with id 99"):
        update_site(records, 99, {"name": "x", "kind": "branch"}, archived=False, by_user=4)
    assert get_site(records, 99) is None
    assert snapshot(records) == before


# --- devices ---------------------------------------------------------------------------------------

def test_a_device_is_created_updated_and_revoked_with_audit_entries(records):
    device_id = create_device(records, KIOSK, by_user=4)
    assert printer_settings(records, device_id) == {"printer_queue": "kita-a4", "paper": "a4"}
    devices.update_device(records, device_id, KIOSK | {"site_id": 2, "printer_queue": None, "paper": "80mm"},
                          by_user=4)
    row = get_device(records, device_id)
    assert (row["site_id"], row["site_name"], row["printer_queue"], row["paper"]) == (
        2, "みどり地域センター相談会", None, "80mm")
    devices.create_enrollment_token(records, device_id, issued_by=4)
    revoke_device(records, device_id, by_user=4)
    revoked = get_device(records, device_id)
    assert revoked["revoked_at"] and revoked["token_hash"] is None and revoked["enrollment_token_hash"] is None
    revoke_device(records, device_id, by_user=4)  # again: the first date stays
    assert get_device(records, device_id)["revoked_at"] == revoked["revoked_at"]
    assert [(e["action"], e["entity"]) for e in audit_entries(records)] == [
        ("create", "device"), ("update", "device"), ("enrollment-link", "device"), ("revoke", "device"),
        ("revoke", "device")]
    update = audit_entries(records)[1]
    assert json.loads(update["before"])["site_id"] == 1 and json.loads(update["after"])["site_id"] == 2


def test_devices_are_listed_with_site_names_revoked_last(records):
    first = create_device(records, KIOSK, by_user=4)
    second = create_device(records, KIOSK | {"name": "タブレット", "kind": "tablet", "site_id": 2}, by_user=4)
    revoke_device(records, first, by_user=4)
    assert [(d["id"], d["site_name"]) for d in list_devices(records)] == [
        (second, "みどり地域センター相談会"), (first, "北出張所")]


@pytest.mark.parametrize(("fields", "message"), [
    (KIOSK | {"name": ""}, "a device needs a name"),
    (KIOSK | {"kind": "phone"}, "unknown device kind 'phone'"),
    (KIOSK | {"paper": "a3"}, "unknown paper 'a3'"),
    (KIOSK | {"printer_queue": "-o evil"}, "not a CUPS queue name"),
    (KIOSK | {"site_id": 99}, "no site in use with id 99"),
    (KIOSK | {"token_hash": "x"}, "unknown device fields: token_hash"),
])
def test_a_device_that_breaks_a_rule_is_refused_whole(records, fields, message):
    device_id = create_device(records, KIOSK, by_user=4)
    before = snapshot(records)
    with pytest.raises(DeviceError, match=message):
        create_device(records, fields, by_user=4)
    with pytest.raises(DeviceError, match=message):
        devices.update_device(records, device_id, fields, by_user=4)
    assert snapshot(records) == before


def test_a_device_cannot_join_an_archived_site(records):
    update_site(records, 2, {"name": "相談会", "kind": "event", "starts_on": "2026-11-01"}, archived=True, by_user=4)
    with pytest.raises(DeviceError, match="no site in use with id 2"):
        create_device(records, KIOSK | {"site_id": 2}, by_user=4)


def test_missing_and_revoked_devices_are_refused(records):
    before = snapshot(records)
    for change in (lambda: devices.update_device(records, 99, KIOSK, by_user=4),
                   lambda: revoke_device(records, 99, by_user=4),
                   lambda: devices.create_enrollment_token(records, 99)):
        with pytest.raises(DeviceError, match="no device with id 99"):
            change()
    assert get_device(records, 99) is None and printer_settings(records, 99) is None
    assert snapshot(records) == before
    device_id = create_device(records, KIOSK, by_user=4)
    revoke_device(records, device_id, by_user=4)
    with pytest.raises(DeviceError, match="is revoked"):
        devices.create_enrollment_token(records, device_id, issued_by=4)
    assert get_device(records, device_id)["enrollment_token_hash"] is None


def test_an_enrollment_link_from_the_console_is_not_audited(records):
    device_id = create_device(records, KIOSK, by_user=4)
    assert devices.device_for_enrollment(records, devices.create_enrollment_token(records, device_id))
    assert [e["action"] for e in audit_entries(records)] == ["create"]


# --- users, the overview and the audit log ----------------------------------------------------------

def test_the_users_list_has_site_names_and_no_secrets(records):
    create_user(records, "aaa", "supporter", "long-enough-password", "", None)
    listed = list_users(records)
    assert [u["username"] for u in listed] == sorted(u["username"] for u in listed)
    assert listed[0]["username"] == "aaa" and listed[0]["site_name"] is None
    assert {u["username"]: u["site_name"] for u in listed}["supporter2"] == "みどり地域センター相談会"
    assert not {"password_hash", "failed_logins", "locked_until", "session_version"} & set(listed[0])


def test_record_counts(records):
    audit(records, None, "export", "audit_log", None)
    assert record_counts(records) == {"sites": 2, "devices": 0, "users": 4, "audit_log": 1}


def test_audit_pages_are_newest_first_and_clamped(records):
    for n in range(5):
        audit(records, 4, "update", "site", n, {"name": f"old {n}"}, {"name": f"new {n}"})
    audit(records, None, "export", "audit_log", None)
    first = audit_page(records, 1, per_page=4)
    assert (first.total, first.page, first.pages) == (6, 1, 2)
    assert first.entries[0]["action"] == "export" and first.entries[0]["username"] is None
    assert first.entries[1]["username"] == "admin" and first.entries[1]["after"] == {"name": "new 4"}
    assert audit_page(records, 99, per_page=4).page == 2
    assert audit_page(records, -3, per_page=4).page == 1
    assert len(audit_page(records, 2, per_page=4).entries) == 2


def test_audit_rows_are_oldest_first_in_the_csv_columns(records):
    audit(records, 4, "create", "site", 7, None, {"name": "x"})
    audit(records, None, "export", "audit_log", None)
    rows = list(audit_rows(records))
    assert len(AUDIT_COLUMNS) == len(rows[0]) == 8
    assert rows[0][2:] == ("admin", "create", "site", "7", None, '{"name": "x"}')
    assert rows[1][2:6] == (None, "export", "audit_log", None)


def test_an_empty_audit_log_has_one_page(db):
    page = audit_page(db, 5, per_page=100)
    assert (page.entries, page.total, page.page, page.pages) == ([], 0, 1, 1)

