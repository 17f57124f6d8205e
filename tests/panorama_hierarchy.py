"""A Panorama configuration with a device-group hierarchy, for the emulator's and awspan's tests.

shared -> `aws` (parent) -> `dg1` (awspan's device group, two firewalls), each level with its own
objects and pre-/post-rules, given as XML fragments. The hierarchy sits where Panorama keeps it,
`/config/readonly/devices/entry/device-group/entry[@name]/parent-dg` (emulator/model.py).
"""

from __future__ import annotations

SERIALS = ("007051000000001", "007051000000002")


def rule(name: str, *, src: str = "any", dst: str = "any", service: str = "any", app: str = "any",
         action: str = "allow", extra: str = "") -> str:
    return (f"<entry name='{name}'><from><member>any</member></from><to><member>any</member></to>"
            f"<source><member>{src}</member></source><destination><member>{dst}</member></destination>"
            "<source-user><member>any</member></source-user><category><member>any</member></category>"
            f"<application><member>{app}</member></application><service><member>{service}</member></service>"
            f"<action>{action}</action>{extra}</entry>")


def address(name: str, value: str) -> str:
    kind = "ip-range" if "-" in value else "ip-netmask"
    return f"<entry name='{name}'><{kind}>{value}</{kind}></entry>"


CLEAN_UP = rule("clean-up", action="deny")


def _rulebases(pre: str, post: str) -> str:
    return (f"<pre-rulebase><security><rules>{pre}</rules></security></pre-rulebase>"
            f"<post-rulebase><security><rules>{post}</rules></security></post-rulebase>")


def _group(name: str, objects: str, pre: str, post: str, devices: tuple[str, ...]) -> str:
    members = "".join(f"<entry name='{s}'/>" for s in devices)
    return (f"<entry name='{name}'><devices>{members}</devices>{objects}"
            f"{_rulebases(pre, post)}</entry>")


def panorama_config(*, shared_objects: str = "", shared_pre: str = "", shared_post: str = "",
                    parent_objects: str = "", parent_pre: str = "", parent_post: str = "",
                    dg_objects: str = "", dg_pre: str = CLEAN_UP, dg_post: str = "",
                    devices: tuple[str, ...] = SERIALS, parent_devices: tuple[str, ...] = ()) -> str:
    """The whole `<config>`: users, shared, the two device groups and their hierarchy."""
    profile = ("<profile-group><entry name='strict'><virus><member>default</member></virus>"
               "</entry></profile-group>")
    users = "".join(f"<entry name='{u}'><permissions><role-based><superuser>yes</superuser></role-based>"
                    "</permissions></entry>" for u in ("admin", "automation"))
    return (
        "<config version='10.1.0'>"
        f"<mgt-config><users>{users}</users></mgt-config>"
        f"<shared>{profile}{shared_objects}{_rulebases(shared_pre, shared_post)}</shared>"
        "<devices><entry name='localhost.localdomain'><device-group>"
        + _group("aws", parent_objects, parent_pre, parent_post, parent_devices)
        + _group("dg1", dg_objects, dg_pre, dg_post, devices)
        + "</device-group></entry></devices>"
        "<readonly><devices><entry name='localhost.localdomain'><device-group>"
        "<entry name='aws'/><entry name='dg1'><parent-dg>aws</parent-dg></entry>"
        "</device-group></entry></devices></readonly>"
        "</config>"
    )
