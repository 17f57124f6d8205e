"""Small builders for the panos tests: fragments from a few lines of XML, policy files, an emulator
config with operator rules above and below the bottom rule.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from generator.location import Location

TAG = "awspan"


def members(name: str, values: list[str]) -> str:
    return f"<{name}>" + "".join(f"<member>{escape(v)}</member>" for v in values) + f"</{name}>"


def rule(name: str, *, source: list[str] | None = None, destination: list[str] | None = None,
         service: list[str] | None = None, application: list[str] | None = None, action: str = "allow",
         tag: str | None = TAG, description: str | None = None, from_zone: str = "untrust",
         to_zone: str = "trust") -> str:
    body = (members("from", [from_zone]) + members("to", [to_zone]) + members("source", source or ["any"])
            + members("destination", destination or ["any"]) + members("source-user", ["any"])
            + members("category", ["any"]) + members("application", application or ["any"])
            + members("service", service or ["application-default"]) + f"<action>{action}</action>")
    if description is not None:
        body += f"<description>{escape(description)}</description>"
    if tag:
        body += members("tag", [tag])
    return f"<entry name={quoteattr(name)}>{body}</entry>"


def address(name: str, cidr: str, *, tag: str | None = TAG) -> str:
    return f"<entry name={quoteattr(name)}><ip-netmask>{cidr}</ip-netmask>" + (
        members("tag", [tag]) if tag else "") + "</entry>"


def service(name: str, port: str, proto: str = "tcp", *, tag: str | None = TAG) -> str:
    return (f"<entry name={quoteattr(name)}><protocol><{proto}><port>{port}</port></{proto}></protocol>"
            + (members("tag", [tag]) if tag else "") + "</entry>")


def group(name: str, static: list[str], *, tag: str | None = TAG) -> str:
    return (f"<entry name={quoteattr(name)}>" + members("static", static)
            + (members("tag", [tag]) if tag else "") + "</entry>")


def icmp_app(name: str, icmp_type: int, code: int | None = None, *, v6: bool = False,
             tag: str | None = TAG) -> str:
    """A custom application identified by ICMP type/code, in the KB's and Aerleon's shape."""
    ident = "ident-by-icmp6-type" if v6 else "ident-by-icmp-type"
    code_xml = "" if code is None else f"<code>{code}</code>"
    return (f"<entry name={quoteattr(name)}><category>networking</category><subcategory>ip-protocol"
            f"</subcategory><technology>network-protocol</technology><default><{ident}><type>{icmp_type}"
            f"</type>{code_xml}</{ident}></default><risk>4</risk>" + (members("tag", [tag]) if tag else "")
            + "</entry>")


def fragment(rules: list[str] = (), *, addresses: list[str] = (), services: list[str] = (),
             groups: list[str] = (), applications: list[str] = (), tags: bool = True,
             location: Location | None = None) -> str:
    """A fragment document in design.md's shape (one vsys, or a device group's pre-rulebase)."""
    loc = location or Location()
    inner = ""
    if tags:
        inner += (f'<tag><entry name="{TAG}"><color>color5</color>'
                  "<comments>managed by awspan</comments></entry></tag>")
    if addresses:
        inner += "<address>" + "".join(addresses) + "</address>"
    if groups:
        inner += "<address-group>" + "".join(groups) + "</address-group>"
    if services:
        inner += "<service>" + "".join(services) + "</service>"
    if applications:
        inner += "<application>" + "".join(applications) + "</application>"
    rb = loc.rulebase_elements()
    inner += f"<{rb[0]}><security><rules>" + "".join(rules) + f"</rules></security></{rb[0]}>"
    head = "<config>"
    tail = "</config>"
    for tag, name in loc.path_elements():
        head += f"<{tag}" + (f' name="{name}"' if name else "") + ">"
    for tag, _name in loc.path_elements():
        tail = f"</{tag}>" + tail
    return head + inner + tail


def write_policy(tmp: Path, url: str, *, admin: str | None = "automation", bottom: str = "clean-up",
                 location: str = "{vsys: vsys1}", max_delete: float | None = None,
                 extra_fw: str = "", min_existing: int | None = None) -> Path:
    lines = ["firewall:", "  instance_id: i-0123456789abcdef0", f"  url: {url}", f"  location: {location}",
             "  commit_timeout: 30"]
    if admin:
        lines.append(f"  admin: {admin}")
    if extra_fw:
        lines.append(extra_fw)
    lines += ["rules:", f"  bottom_rule: {bottom}", "  from_zone: untrust", "  to_zone: trust",
              "aws:", "  regions: [us-east-1]"]
    if max_delete is not None or min_existing is not None:
        lines.append("safety:")
    if max_delete is not None:
        lines.append(f"  max_delete_percent: {max_delete}")
    if min_existing is not None:
        lines.append(f"  min_existing: {min_existing}")
    path = tmp / "policy.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
