# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""project: purpose normalization and the assign-only-what-is-missing logic, with a fake pydo client."""

import pytest

from ansible_collections.appplatform.n8n.plugins.module_utils._client import DOClient
from ansible_collections.appplatform.n8n.plugins.module_utils._diff import Diff
from ansible_collections.appplatform.n8n.plugins.modules import project


@pytest.mark.parametrize("given, stored", [
    ("IoT", "IoT"),
    ("Operational / Developer tooling", "Operational / Developer tooling"),
    ("n8n automation", "Other: n8n automation"),
    ("Other: n8n automation", "Other: n8n automation"),
    (" Web Application ", "Web Application"),
    (None, None),
])
def test_stored_purpose(given, stored):
    assert project.stored_purpose(given) == stored


def test_missing_urns_keeps_order_and_drops_duplicates_and_present_ones():
    wanted = ["do:space:b", "do:vpc:1", "do:space:b", " do:app:2 ", "do:vpc:1"]
    assert project.missing_urns(wanted, ["do:vpc:1"]) == ["do:space:b", "do:app:2"]
    assert project.missing_urns(wanted, ["do:vpc:1", "do:space:b", "do:app:2"]) == []


class _FakeProjects:
    def __init__(self, resources, statuses=None):
        self.resources = list(resources)
        self.statuses = statuses or {}
        self.assigned = []

    @staticmethod
    def _answer(cls, body):
        return cls(type("PR", (), {"http_response": type("R", (), {"status_code": 200, "headers": {}})()})(), body, {})

    def list_resources(self, project_id, per_page=20, page=1, cls=None):
        chunk = self.resources[(page - 1) * per_page: page * per_page]
        pages = {"next": "https://x/v2/projects/{0}/resources?page={1}".format(project_id, page + 1)} \
            if page * per_page < len(self.resources) else {}
        return self._answer(cls, {"resources": [{"urn": u, "status": "ok"} for u in chunk], "links": {"pages": pages}})

    def assign_resources(self, project_id, body=None, cls=None):
        self.assigned.append(list(body["resources"]))
        return self._answer(cls, {"resources": [{"urn": u, "status": self.statuses.get(u, "ok")}
                                                for u in body["resources"]]})


class _Failed(Exception):
    pass


class _FakeModule:
    def __init__(self, fake, resources, check_mode=False):
        self.client = DOClient("t", pydo_client=type("P", (), {"projects": fake})(), check_mode=check_mode)
        self.params = {"resources": resources}
        self.result = {}
        self.diff = Diff()
        self.changed = False

    def mark_changed(self):
        self.changed = True

    def set_result(self, value):
        self.result["project"] = value

    def fail(self, msg, **kwargs):
        raise _Failed(msg, kwargs)


def test_assigns_only_missing_urns_after_reading_every_page():
    present = ["do:space:b{0}".format(i) for i in range(450)]  # three pages of 200
    fake = _FakeProjects(present)
    m = _FakeModule(fake, ["do:space:b449", "do:space:new", "do:space:b0"])
    before = project.current_urns(m, {"id": "p1"})
    assert before == present
    after = project.assign_resources(m, {"id": "p1", "name": "n8n"}, before)
    assert fake.assigned == [["do:space:new"]] and m.result["assigned"] == ["do:space:new"]
    assert after[-1] == "do:space:new" and m.changed


def test_nothing_missing_sends_nothing():
    fake = _FakeProjects(["do:vpc:1"])
    m = _FakeModule(fake, ["do:vpc:1"])
    assert project.assign_resources(m, {"id": "p1", "name": "n8n"}, ["do:vpc:1"]) == ["do:vpc:1"]
    assert fake.assigned == [] and not m.changed and m.client.writes == []


def test_check_mode_plans_the_assignment_without_sending_it():
    fake = _FakeProjects([])
    m = _FakeModule(fake, ["do:space:a"], check_mode=True)
    project.assign_resources(m, {"name": "n8n"}, [])
    assert fake.assigned == [] and m.client.writes == ["POST /v2/projects/new/resources"]


def test_not_found_status_fails_and_names_the_urn():
    fake = _FakeProjects([], statuses={"do:app:x": "not_found"})
    m = _FakeModule(fake, ["do:space:a", "do:app:x"])
    with pytest.raises(_Failed) as failed:
        project.assign_resources(m, {"id": "p1", "name": "n8n"}, [])
    msg, details = failed.value.args
    assert "do:app:x (not_found)" in msg and details["refused"] == {"do:app:x": "not_found"}
    assert details["assigned"] == ["do:space:a"]
