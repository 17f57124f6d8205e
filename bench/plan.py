"""Plan benchmark: `awspan plan` against a firewall (the emulator) holding 20,000 managed rules,
with 1 % of them changed, in text and markdown (not a test: it prints, asserts nothing).

Estate: 2,000 security groups x 10 rules (20,000 rules), 2,000 address groups of 5 instance
addresses (10,000 addresses), generate's descriptions. The change: 70 rules get another
source, 65 go, 65 arrive, and 20 groups gain a member (their 200 rules are "affected").

Printed, per format: the wall time, CPU time and peak RSS of a separate `python -m generator
plan` process (os.wait4 gives each child's own figures), the CPU the emulator spent answering
it (in this process), the load average (the machine is shared: wall time under load is not
awspan's), and an in-process split (the two reads from
the emulator, build_plan, the traffic document, the rendering). The emulator answers from
this process, so its serialization of the 20,000 rules is part of the wall time, as a real
firewall's would be. Goal: <= 2 s and < 1 GiB. AWSPAN_BENCH_PLAN_RULES scales it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from bench.workdir import work_dir
from emulator import EmulatorServer
from emulator.server import default_config
from generator.location import Location
from generator.panos.config.fragment import parse_fragment
from generator.panos.plan.changes import build_plan
from generator.panos.plan.document import build_document
from generator.panos.review.plan_render import RENDERERS
from generator.panos.xmlapi.client import PanosClient
from generator.panos.xmlapi.read_config import read_inherited, read_location
from generator.safety import Safety

ROOT = Path(__file__).resolve().parent.parent
WORK = work_dir("plan")
LOC = Location()
RULES_PER_GROUP = 10
MEMBERS = 5
PORTS = (22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9000, 9200)


def _tag() -> str:
    return "<tag><member>awspan</member></tag>"


def _estate(groups: int, changed: bool) -> str:
    """The vsys children (tag, addresses, groups, services, rules) of the fragment."""
    addrs, grps, rules = [], [], []
    n_rules = groups * RULES_PER_GROUP
    for g in range(groups):
        sg = f"sg-{g:017x}"
        members = []
        extra = changed and g % 100 == 7  # 1 % of groups gain a member
        for m in range(MEMBERS + (1 if extra else 0)):
            inst = f"i-{g * 8 + m:017x}"
            ip = f"10.{g // 250 % 256}.{g % 250}.{10 + m}"
            name = f"{inst}-{ip}"
            members.append(name)
            addrs.append(f'<entry name="{name}"><ip-netmask>{ip}/32</ip-netmask><description>{inst} '
                         f"(app-{g}-{m}) eni-{g * 8 + m:017x} in vpc-{g // 40:017x}</description>{_tag()}"
                         "</entry>")
        grps.append(f'<entry name="{sg}"><static>' + "".join(f"<member>{m}</member>" for m in sorted(members))
                    + f"</static><description>awspan: addresses behind security group {sg} (grp-{g}) in "
                    f"vpc-{g // 40:017x} 111122223333 us-east-1</description>{_tag()}</entry>")
        for r, port in enumerate(PORTS):
            i = g * RULES_PER_GROUP + r
            if changed and i % 300 == 1:  # deleted
                continue
            sources = [f"198.51.{i // 250 % 256}.{i % 250}/32", "203.0.113.0/24"]
            if changed and i % 300 == 2:
                sources.append("192.0.2.77/32")  # a source added
            if changed and i % 300 == 3:
                sources = ["any"]
            rule_port = port + 1 if changed and i % 300 == 4 else port  # a new rule for another port
            rules.append(
                f'<entry name="{sg}-tcp-{rule_port}"><from><member>untrust</member></from><to><member>trust'
                "</member></to><source>" + "".join(f"<member>{s}</member>" for s in sources) + "</source>"
                f"<destination><member>{sg}</member></destination><source-user><member>any</member>"
                "</source-user><category><member>any</member></category><application><member>any</member>"
                f"</application><service><member>tcp-{rule_port}</member></service><action>allow</action>"
                f"<description>awspan: security group {sg} (grp-{g}) in vpc-{g // 40:017x} 111122223333 "
                f"us-east-1: tcp {rule_port}</description>{_tag()}</entry>")
    ports = sorted(set(PORTS) | {p + 1 for p in PORTS})
    services = "".join(f'<entry name="tcp-{p}"><protocol><tcp><port>{p}</port></tcp></protocol>{_tag()}'
                       "</entry>" for p in ports)
    assert len(rules) <= n_rules + n_rules // 300 + 1
    return ('<tag><entry name="awspan"><comments>managed by awspan</comments></entry></tag>'
            f"<address>{''.join(addrs)}</address><address-group>{''.join(grps)}</address-group>"
            f"<service>{services}</service><rulebase><security><rules>{''.join(rules)}</rules></security>"
            "</rulebase>")


def _fragment(groups: int, changed: bool) -> bytes:
    path = "".join(f"<{t}" + (f' name="{nm}"' if nm else "") + ">" for t, nm in LOC.path_elements())
    close = "".join(f"</{t}>" for t, _ in reversed(LOC.path_elements()))
    return f"<config>{path}{_estate(groups, changed)}{close}</config>".encode()


def _firewall(groups: int) -> bytes:
    """The emulator's config: the default one with the unchanged estate above clean-up, committed."""
    root = etree.fromstring(default_config())
    install(root.xpath(LOC.base_xpath)[0], etree.fromstring(f"<x>{_estate(groups, changed=False)}</x>"))
    return etree.tostring(root)


def install(vsys: etree._Element, children: etree._Element) -> None:
    """A fragment's vsys `children` into the device's `vsys`, as a push leaves them: the rules
    directly above clean-up, the objects beside the device's."""
    for child in list(children):
        if child.tag == "rulebase":
            rules = vsys.find("rulebase/security/rules")
            at = list(rules).index(rules.find("entry[@name='clean-up']"))
            for i, rule in enumerate(list(child.find("security/rules"))):
                rules.insert(at + i, rule)
            continue
        node = vsys.find(child.tag)
        if node is None:
            vsys.append(child)
        else:
            node.extend(list(child))


def _policy(url: str) -> str:
    return (f"firewall:\n  instance_id: i-0123456789abcdef0\n  url: {url}\n  admin: automation\n"
            "rules:\n  bottom_rule: clean-up\n  from_zone: untrust\n  to_zone: trust\n"
            "aws:\n  regions: [us-east-1]\n")


def main() -> None:
    n_rules = int(os.environ.get("AWSPAN_BENCH_PLAN_RULES", "20000"))
    groups = max(1, n_rules // RULES_PER_GROUP)
    WORK.mkdir(parents=True, exist_ok=True)
    frag_path = WORK / "fragment.xml"
    frag_bytes = _fragment(groups, changed=True)
    frag_path.write_bytes(frag_bytes)
    with EmulatorServer(config_xml=_firewall(groups)) as emu:
        policy = WORK / "policy.yaml"
        policy.write_text(_policy(emu.url))
        env = dict(os.environ, PANOS_API_KEY=emu.api_key("automation"))
        print(f"   {groups * RULES_PER_GROUP:,} managed rules, fragment {len(frag_bytes) / 1e6:.1f} MB, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for fmt in ("text", "markdown"):
            argv = [sys.executable, "-m", "generator", "plan", "--config", str(policy), "--fragment",
                    str(frag_path), "--format", fmt, "--detailed-exitcode"]
            own = resource.getrusage(resource.RUSAGE_SELF)
            wall, rss, code, size, cpu = _run_wait4(argv, env)
            after = resource.getrusage(resource.RUSAGE_SELF)
            emu_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
            print(f"   plan --format {fmt:<8}: {wall:5.2f} s wall, {cpu:4.2f} s CPU (the emulator answering: "
                  f"{emu_cpu:4.2f} s CPU; together {cpu + emu_cpu:4.2f} s), peak RSS {rss:4.0f} MiB, "
                  f"exit {code}, {size:,} bytes out", flush=True)
        # where the time goes, in-process
        client = PanosClient(emu.url, api_key=emu.api_key("automation"))
        t0 = time.perf_counter()
        frag = parse_fragment(frag_bytes, LOC, "awspan", str(frag_path))
        t1 = time.perf_counter()
        own0 = time.thread_time()  # this thread only: the emulator answers from other threads
        cand = read_location(client, LOC)
        run = read_location(client, LOC, running=True)
        reads_cpu = time.thread_time() - own0
        t2 = time.perf_counter()
        plan = build_plan(frag, cand, tag="awspan", bottom_rule="clean-up", admin="automation",
                          safety=Safety(), running=run, inherited=lambda: read_inherited(client, LOC))
        t3 = time.perf_counter()
        doc = build_document(plan, frag, cand)
        t4 = time.perf_counter()
        text = RENDERERS["markdown"](doc)
        t5 = time.perf_counter()
        s = doc["summary"]
        running = "the candidate's tree" if cand.rules and run.rules[0] is cand.rules[0] else "parsed"
        print(f"   split: parse fragment {t1 - t0:.2f} s, read candidate+running {t2 - t1:.2f} s "
              f"({reads_cpu:.2f} s of it awspan's CPU, the rest the emulator's; running: {running}), "
              f"build_plan {t3 - t2:.2f} s, traffic document {t4 - t3:.2f} s, markdown {t5 - t4:.2f} s "
              f"({len(text):,} chars)")
        print(f"   plan: {s['rules_opened']} rules opened, {s['rules_closed']} closed, {s['rules_changed']} "
              f"changed, {s['rules_affected']} affected; {s['flows_opened']} flows opened, "
              f"{s['flows_closed']} closed")
    _issue25()


_PEAK_MARK = "awspan-bench-peak-kib"
_WITH_PEAK = (
    "import atexit, runpy, sys\n"
    "def _peak():\n"
    "    try:\n"
    "        with open('/proc/self/status') as f:\n"
    "            kib = next((line.split()[1] for line in f if line.startswith('VmHWM:')), '')\n"
    "    except OSError:\n"
    "        kib = ''\n"
    f"    sys.stderr.write('\\n{_PEAK_MARK} ' + kib + '\\n')\n"
    "atexit.register(_peak)\n"
    "runpy.run_module('generator', run_name='__main__', alter_sys=True)\n"
)
"""`python -m generator`, reporting its own peak RSS at exit. A child's ru_maxrss starts at the
RSS of the process that forked it (Linux keeps the high-water mark across fork and exec), and
this process holds the emulator's 20,000 rules: the child's VmHWM (its own memory since exec)
is the figure that belongs to awspan."""


def _run_wait4(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int, float]:
    """Run `python -m generator ARGS` (argv[3:]), with the child's own CPU (os.wait4: RUSAGE_CHILDREN
    would mix the two formats' children) and its own peak RSS (VmHWM, see _WITH_PEAK)."""
    assert argv[1:3] == ["-m", "generator"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([argv[0], "-c", _WITH_PEAK, *argv[3:]], env=env, stdout=subprocess.PIPE,
                                stderr=err, cwd=ROOT)
        size = 0
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read(65536), b""):
            size += len(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        marks = [line.split()[1:] for line in err.read().decode("utf-8", "replace").splitlines()
                 if line.startswith(_PEAK_MARK)]
    proc.returncode = os.waitstatus_to_exitcode(status)
    kib = marks[-1][0] if marks and marks[-1] else None
    rss = int(kib) / 1024 if kib else usage.ru_maxrss / 1024  # no /proc: the inherited figure
    return wall, rss, proc.returncode, size, usage.ru_utime + usage.ru_stime


def _issue25() -> None:
    """Issue 25's estate (bench/plan_estate.py): what the run above does not exercise, the plan
    as the workflow runs it (state.yaml and precheck.yaml read, plan.json written, groups of 20)."""
    from bench.plan_estate import run

    rules = int(os.environ.get("AWSPAN_BENCH_PLAN_RULES", "20000"))
    run("wide", rules, rules // 2)


if __name__ == "__main__":
    main()
