"""A second real client: pan-os-python (Firewall, SecurityRule, create_similar, commit) round-trips
against the emulator over TLS, and an application it creates is understood by the emulator's App-ID.

pan-os-python reads `show system info` (sw-version, model, serial, app-version, multi-vsys), writes
objects with set/edit, creates many rules in one `set` (create_similar), commits with
`<commit><partial><admin>` and polls `show jobs id`, and reads everything back through its own
parser, which must accept the attributes and default children the emulator decorates answers with.
"""

from __future__ import annotations

import ssl
import warnings

import pytest

from emulator import EmulatorServer
from tests.emulator.helpers import Caller

with warnings.catch_warnings():  # pan-python 0.17 (pinned by pan-os-python) uses deprecated ssl names
    warnings.simplefilter("ignore", DeprecationWarning)
    from panos.firewall import Firewall
    from panos.objects import AddressObject, ApplicationObject
    from panos.policies import Rulebase, SecurityRule

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def device():
    with EmulatorServer(tls=True) as emu:
        fw = Firewall("127.0.0.1", "automation", "automation", port=emu.port)
        # verify the emulator's certificate (pan-python skips verification without a context)
        context = ssl.create_default_context(cafile=emu.ca_file)
        fw._xapi_private = Firewall.XapiWrapper(
            hostname="127.0.0.1", port=emu.port, api_username="automation", api_password="automation",
            timeout=10, pan_device=fw, ssl_context=context)
        yield emu, fw


def test_system_info_objects_create_similar_and_commit_round_trip(device):
    emu, fw = device
    info = fw.refresh_system_info()
    assert (info.version, info.platform, fw.multi_vsys) == ("10.1.0", "PA-VM", False)

    fw.add(AddressObject("ppy-web", "10.1.0.10/32")).create()
    base = Rulebase()
    fw.add(base)
    rules = [SecurityRule(f"ppy-{i}", fromzone=["untrust"], tozone=["trust"], source=["any"],
                          destination=["ppy-web"], application=["ssl"], service=["application-default"],
                          action="allow") for i in range(3)]
    for r in rules:
        base.add(r)
    emu.reset_counters()
    rules[0].create_similar()
    assert [r["action"] for r in emu.requests] == ["set"]  # three rules, one request

    result = fw.commit(sync=True, admins=["automation"])
    assert result["success"], result
    running = [e.get("name") for e in emu.running().xpath("//vsys/entry/rulebase/security/rules/entry")]
    assert running[-3:] == ["ppy-0", "ppy-1", "ppy-2"]

    # read back through pan-os-python's parser: what it wrote, despite the device's decorations
    fresh = Rulebase()
    fw.add(fresh)
    back = {r.name: r for r in SecurityRule.refreshall(fresh)}
    assert back["ppy-1"].destination == ["ppy-web"] and back["ppy-1"].application == ["ssl"]
    assert back["ppy-1"].action == "allow" and back["ppy-1"].type == "universal"


def test_an_icmp_type_application_from_pan_os_python_is_identified_by_the_emulator(device):
    emu, fw = device
    fw.add(ApplicationObject("pmtu", category="networking", subcategory="ip-protocol",
                             technology="network-protocol", risk=4, default_type="ident-by-icmp-type",
                             default_icmp_type=3, default_icmp_code=4)).create()
    base = Rulebase()
    fw.add(base)
    rule = SecurityRule("allow-pmtu", fromzone=["untrust"], tozone=["trust"], source=["any"],
                        destination=["any"], application=["pmtu"], service=["application-default"],
                        action="allow")
    base.add(rule)
    rule.create()
    rule.move("top", ref=None)
    assert fw.commit(sync=True, admins=["automation"])["success"]
    back = ApplicationObject.refreshall(fw, name_only=False)
    [app] = [a for a in back if a.name == "pmtu"]
    assert (app.default_type, app.default_icmp_type, app.default_icmp_code) == ("ident-by-icmp-type", 3, 4)

    caller = Caller(emu.url, emu.api_key("automation"), verify=emu.ca_file)
    caller.session.trust_env = False  # verify with the emulator's CA, whatever REQUESTS_CA_BUNDLE says

    def first(icmp_type: int, code: int) -> str:
        root = caller.ok(type="op", cmd="<test><security-policy-match><from>untrust</from><to>trust</to>"
                         "<source>198.51.100.1</source><destination>10.0.0.9</destination><protocol>1</protocol>"
                         f"<icmp-type>{icmp_type}</icmp-type><icmp-code>{code}</icmp-code>"
                         "</security-policy-match></test>")
        return root.find("result/rules/entry").get("name")

    assert first(3, 4) == "allow-pmtu"
    assert first(3, 1) != "allow-pmtu"  # another code of the same type: not that application
    caller.close()
