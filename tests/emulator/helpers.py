"""A tiny XML API caller for the emulator's tests: plain `requests`, key in the header.

Deliberately not awspan's client (tests/panos tests that one against the emulator); these
tests check the emulator's wire behaviour directly.
"""

from __future__ import annotations

import requests
from lxml import etree

VSYS = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
RULES = VSYS + "/rulebase/security/rules"
ADDRESS = VSYS + "/address"
DG = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']"


def rule_xml(
    name: str,
    *,
    src: str = "any",
    dst: str = "any",
    service: str = "any",
    app: str = "any",
    from_zone: str = "untrust",
    to_zone: str = "trust",
    action: str = "allow",
    extra: str = "",
) -> str:
    return (
        f"<entry name='{name}'><from><member>{from_zone}</member></from><to><member>{to_zone}</member></to>"
        f"<source><member>{src}</member></source><destination><member>{dst}</member></destination>"
        f"<application><member>{app}</member></application><service><member>{service}</member></service>"
        f"<action>{action}</action>{extra}</entry>"
    )


class Caller:
    """Posts XML API requests as one admin; returns (HTTP status, parsed <response>)."""

    def __init__(self, url: str, key: str, verify: bool | str = True) -> None:
        self.url = url + "/api/"
        self.session = requests.Session()
        self.session.headers["X-PAN-KEY"] = key
        self.session.verify = verify

    def close(self) -> None:
        self.session.close()

    def raw(self, **params: str) -> requests.Response:
        return self.session.post(self.url, data=params, timeout=30)

    def call(self, **params: str) -> etree._Element:
        response = self.raw(**params)
        assert response.headers["Content-Type"].startswith("application/xml")
        return etree.fromstring(response.content)

    def ok(self, **params: str) -> etree._Element:
        root = self.call(**params)
        assert root.get("status") == "success", etree.tostring(root).decode()
        return root

    def config(self, action: str, xpath: str, element: str | None = None, **extra: str) -> etree._Element:
        return self.call(**_config_params(action, xpath, element, extra))

    def config_ok(self, action: str, xpath: str, element: str | None = None, **extra: str) -> etree._Element:
        return self.ok(**_config_params(action, xpath, element, extra))

    def op(self, cmd: str, **extra: str) -> etree._Element:
        return self.call(type="op", cmd=cmd, **extra)

    def commit(self, admins: list[str] | None = None, description: str = "test") -> etree._Element:
        partial = ""
        if admins:
            partial = (
                "<partial><admin>" + "".join(f"<member>{a}</member>" for a in admins) + "</admin></partial>"
            )
        return self.call(
            type="commit", cmd=f"<commit>{partial}<description>{description}</description></commit>"
        )

    def wait_job(self, job_id: str, max_polls: int = 20) -> etree._Element:
        for _ in range(max_polls):
            job = self.ok(type="op", cmd=f"<show><jobs><id>{job_id}</id></jobs></show>").find("result/job")
            if job.findtext("status") == "FIN":
                return job
        raise AssertionError(f"job {job_id} did not finish in {max_polls} polls")

    def commit_and_wait(self, admins: list[str] | None = None) -> etree._Element:
        root = self.commit(admins)
        assert root.get("status") == "success", etree.tostring(root).decode()
        job_id = root.findtext("result/job")
        assert job_id, etree.tostring(root).decode()
        return self.wait_job(job_id)


def _config_params(action: str, xpath: str, element: str | None, extra: dict[str, str]) -> dict[str, str]:
    params = {"type": "config", "action": action, "xpath": xpath, **extra}
    if element is not None:
        params["element"] = element
    return params


def lines(root: etree._Element) -> list[str]:
    return [(line.text or "").strip() for line in root.iter("line")]


def names(root: etree._Element, xpath: str) -> list[str]:
    return [node.get("name") for node in root.xpath(xpath)]
