"""Small builders for the panos tests: fragments from a few lines of XML, an emulator config with
operator rules above and below the bottom rule. (policy.yaml: tests/policies.py.)
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from emulator import EmulatorServer
from generator.kinds import ALL_KINDS
from generator.location import Location
from generator.panos.config.canonical import canonical_text

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
             groups: list[str] = (), applications: list[str] = (), service_groups: list[str] = (),
             tags: bool = True,
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
    if service_groups:
        inner += "<service-group>" + "".join(service_groups) + "</service-group>"
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


def add_rule_below_cleanup(emu: EmulatorServer) -> None:
    """The default config ends with clean-up; real rulebases often keep rules below it."""
    rules = Location().rules_xpath
    emu.edit_as("admin", "set", rules, rule("below-cleanup", source=["bastion"], application=["ping"],
                                             tag="admin-managed"))
    emu.edit_as("admin", "move", f"{rules}/entry[@name='below-cleanup']", where="bottom")
    assert emu.commit_as("admin")


# -- the two fragments the push, plan and guard tests share ---------------------------------------


def rule_names(config: etree._Element) -> list[str]:
    return [e.get("name") for e in config.xpath(Location().rules_xpath + "/entry")]


def unmanaged(config: etree._Element) -> dict[str, str]:
    """Canonical text of every object and rule that does not carry the awspan tag."""
    out = {}
    for kind in ALL_KINDS:
        for e in config.xpath(Location().xpath(kind) + "/entry"):
            if "awspan" not in [m.text for m in e.iterfind("tag/member")] and not (
                    kind == "tag" and e.get("name") == "awspan"):
                out[f"{kind}/{e.get('name')}"] = canonical_text(e)
    shared = config.find("shared")
    out["shared"] = canonical_text(shared) if shared is not None else ""
    return out


def first_fragment() -> str:
    return fragment(
        [rule("sg-web-tcp-443", destination=["web-1", "web-2"], service=["tcp-443"]),
         rule("sg-web-tcp-8080", destination=["web-1"], service=["tcp-8080"]),
         rule("sg-db-all", source=["10.20.0.0/16"], destination=["db-servers"], service=["any"]),
         rule("sg-old", destination=["old-1"], service=["tcp-443"])],
        addresses=[address("web-1", "10.0.1.10/32"), address("web-2", "10.0.1.11/32"),
                   address("db-1", "10.0.2.10/32"), address("old-1", "10.0.3.10/32")],
        groups=[group("db-servers", ["db-1"])],
        services=[service("tcp-443", "443"), service("tcp-8080", "8080")])


def second_fragment() -> str:
    """Changed, deleted, created and re-ordered: sg-old and old-1 go, web-2 goes while the rule
    that names it is edited in the same batch, sg-new arrives, sg-db-all moves to the top."""
    return fragment(
        [rule("sg-db-all", source=["10.20.0.0/16"], destination=["db-servers"], service=["any"]),
         rule("sg-web-tcp-443", destination=["web-1"], service=["tcp-443"], description="now one host"),
         rule("sg-new", destination=["web-3"], service=["tcp-8080"]),
         rule("sg-web-tcp-8080", destination=["web-1"], service=["tcp-8080"])],
        addresses=[address("web-1", "10.0.1.10/32"), address("db-1", "10.0.2.10/32"),
                   address("db-2", "10.0.2.11/32"), address("web-3", "10.0.1.12/32")],
        groups=[group("db-servers", ["db-1", "db-2"])],
        services=[service("tcp-443", "443"), service("tcp-8080", "8080")])


def unfold(text: str) -> str:
    """Plan text with its folded lines joined again (each continuation starts with `↳ `)."""
    import re

    return re.sub(r"\n *↳ ", " ", text)
