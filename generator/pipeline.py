"""The pipeline as a library: collect, snapshot, generate, plan and push as function calls.

Each step takes the parsed Policy, the paths it reads and writes and, for the firewall,
Credentials held by the caller; it returns what it did and raises AwspanError when it
cannot. No step reads the environment for a secret: the command line builds Credentials
from PANOS_* (Credentials.from_env), the event reaction from the secret it fetched, so a
key never makes a round trip through os.environ. The commands (collect/step.py,
generate/step.py, cli/firewall.py) parse options, call these and print; as octoDNS's
Manager.sync plans and applies in one call, `push` here reads, plans and applies.

Heavy modules (boto3, lxml, the renderer) are imported inside each step, so that importing
this module costs nothing (the Lambda handler imports it only when it reacts).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.collect.sessions import AccountCredentials, SessionFactory
    from generator.generate.step import StartStopSink
    from generator.panos.config.fragment import FragmentView
    from generator.panos.config.view import DeviceConfig
    from generator.panos.plan.changes import Plan
    from generator.panos.plan.membership import Registry
    from generator.panos.push.apply import Pushed
    from generator.panos.xmlapi.client import PanosClient
    from generator.panos.xmlapi.fleet import Fleet
    from generator.policy import Policy
    from generator.registrations_file import Desired
    from generator.safety import UnsafePlan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """Where the firewall is and how to log in: an API key, or a username/password for keygen.

    Checked when a step connects (a missing URL or half a pair is named then, after the
    step's files were read); the secrets never appear in repr().
    """

    urls: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None

    @classmethod
    def from_env(cls, policy: Policy, *, api_key: str | None = None) -> Credentials:
        """The command line's: PANOS_URL/PANOS_HOSTNAME over firewall.url, PANOS_API_KEY (or
        PANOS_USERNAME/PANOS_PASSWORD), PANOS_CA_BUNDLE over firewall.ca_bundle. `api_key`, a
        secret the caller fetched, wins over PANOS_API_KEY."""
        from generator.panos.xmlapi.env import firewall_ca_bundle, firewall_urls

        fw = policy.firewall
        return cls(urls=firewall_urls(fw.url), api_key=api_key or os.environ.get("PANOS_API_KEY") or None,
                   username=os.environ.get("PANOS_USERNAME") or None,
                   password=os.environ.get("PANOS_PASSWORD") or None,
                   ca_bundle=firewall_ca_bundle(fw.ca_bundle))


def connect(policy: Policy, credentials: Credentials) -> PanosClient:
    """A client of the firewall; of an HA pair's active peer when there are two URLs (ha.py)."""
    from generator.panos.xmlapi.client import PanosClient
    from generator.panos.xmlapi.env import checked_credentials, require_url
    from generator.panos.xmlapi.ha import choose_active

    fw = policy.firewall

    def one(url: str | None) -> PanosClient:
        url = require_url(url)
        key, user, password = checked_credentials(credentials.api_key, credentials.username,
                                                  credentials.password)
        return PanosClient(url, api_key=key, username=user, password=password,
                           ca_bundle=credentials.ca_bundle, timeout=fw.timeout,
                           max_answer_bytes=int(fw.max_answer_mb * 2**20))

    return choose_active(credentials.urls or (None,), one)  # type: ignore[arg-type]


def admin_of(policy: Policy, credentials: Credentials, client: PanosClient) -> str | None:
    """The admin whose changes push commits: firewall.admin, else the login's user, else the key's."""
    return policy.firewall.admin or credentials.username or client.key_owner


# --- collect, generate: AWS and files ---------------------------------------------------------

def collect(policy: Policy, output: str | os.PathLike[str], *, endpoint_url: str | None = None,
            factory: SessionFactory | None = None,
            accounts: dict[int | None, AccountCredentials] | None = None) -> dict[str, Any]:
    """Read AWS and replace `output` (state.yaml) atomically; returns the state written.
    `accounts` receives the credentials resolved per account (collector.collect)."""
    from generator.collect.sessions import SessionFactory
    from generator.collect.step import collect_to_file
    from generator.generate.suspicious import summary, suspicious

    started = time.perf_counter()
    state = collect_to_file(policy, output, factory or SessionFactory(endpoint_url=endpoint_url), accounts)
    log.info("wrote %s: %s (%.1f s)", output, summary(state), time.perf_counter() - started)
    for warning in suspicious(state, policy, regions=False):  # regions: said per account/region
        log.warning("warning: %s", warning)
    return state


@dataclass
class Generated:
    """What generate wrote: object counts by singular noun; precheck/registrations when written."""

    output: Path
    counts: dict[str, int]
    precheck: Path | None = None
    registrations: Path | None = None


def generate(policy: Policy | str, state_file: str, output: str, *, rulebase: str | None = None,
             templates: str | None = None, start_stop: StartStopSink | None = None) -> Generated:
    """state.yaml + policy -> fragment.xml (precheck.yaml, registrations.yaml beside it).

    `policy`: the Policy, or policy.yaml's path (then loaded first, as `awspan generate` does).
    `start_stop`: see generator.generate.step.generate (the event reaction's index).

    `rulebase`: a snapshot for the already-allowed check, or None. Nothing is written until
    everything is rendered, but the fragment: it goes into a temp file beside it as it is
    rendered (generator.atomicio.StreamedWrite), renamed over fragment.xml only after every
    check has passed and the sidecars are written (each atomically); an error removes it.
    A stale sidecar is removed.
    """
    from generator.atomicio import StreamedWrite, write_atomic
    from generator.generate.precheck_file import precheck_path
    from generator.generate.step import generate as render
    from generator.registrations_file import registrations_path
    from generator.text import count

    fragment = StreamedWrite(output)  # rendered straight into its temp file; renamed only at the end
    try:
        _, report, counts, registrations = render(
            policy, state_file, rulebase=rulebase, templates=templates, sink=fragment.write,
            start_stop=start_stop)
        side, regs = precheck_path(output), registrations_path(output)
        if report is not None:
            write_atomic(side, report)
        if registrations is not None:
            write_atomic(regs, registrations)
        fragment.commit()
    finally:
        fragment.discard()  # after a commit: nothing left to do
    if report is None and side.exists():
        side.unlink()  # a stale precheck.yaml would explain rules that are no longer left out
    if registrations is None and regs.exists():
        regs.unlink()  # membership static: push must not find registrations to reconcile
    summary = ", ".join(count(n, k) for k, n in counts.items())
    log.info("wrote %s: %s%s", output, summary, f"; checked against {rulebase}" if rulebase else "")
    return Generated(Path(output), counts, side if report is not None else None,
                     regs if registrations is not None else None)


# --- snapshot, plan, push: the firewall ------------------------------------------------------

def snapshot(policy: Policy, credentials: Credentials, output: str, *, candidate: bool = False) -> int:
    """Write the firewall's security rules to `output` (rulebase.xml); returns the rule count."""
    from generator.atomicio import write_atomic
    from generator.panos.xmlapi.snapshot import take_snapshot

    client = connect(policy, credentials)
    data, rules = take_snapshot(client, policy.firewall.location, candidate=candidate)
    write_atomic(output, data)
    log.info("wrote %s: %d security rules of %s (%s config)", output, rules,
             policy.firewall.location.describe(), "candidate" if candidate else "running")
    return rules


@dataclass
class Planned:
    """The plan document (plan_render's input) and why push would refuse it (None: it would not)."""

    document: dict[str, Any]
    plan: Plan
    refusal: UnsafePlan | None


def state_beside(fragment_path: str | os.PathLike[str]) -> Path:
    """state.yaml beside the fragment: where generate's inputs are committed with its outputs
    (out/state.yaml for out/fragment.xml)."""
    return Path(fragment_path).parent / "state.yaml"


def registrations_for(policy: Policy, fragment_path: str, fragment: FragmentView,
                      state_path: str | os.PathLike[str] | None) -> Desired | None:
    """Membership dynamic: registrations.yaml beside the fragment, refused unless it says exactly
    what generate derives from the state (`state_path`, default state.yaml beside the fragment)
    for the fragment's rules. None with membership static."""
    if policy.rules.membership != "dynamic":
        return None
    from generator.generate.membership import agreed_registrations
    from generator.registrations_file import registrations_path

    return agreed_registrations(policy, registrations_path(fragment_path),
                                state_path if state_path is not None else state_beside(fragment_path),
                                fragment.rule_names)


def plan(policy: Policy, credentials: Credentials, fragment_path: str, *, out: str | None = None,
         state_path: str | None = None) -> Planned:
    """What push would change, read from the device; with `out`, also the saved plan (push --plan).

    `state_path`: the state the registrations are checked against (membership dynamic)."""
    from generator.atomicio import write_atomic
    from generator.generate.precheck_file import load_precheck
    from generator.panos.config.fragment import read_fragment
    from generator.panos.plan.binding import Inputs, bind
    from generator.panos.plan.changes import build_plan
    from generator.panos.plan.document import build_document
    from generator.panos.plan.fleet import fleet_membership
    from generator.panos.plan.inventory import load_inventory
    from generator.panos.plan.membership import Registry, registration_guards
    from generator.panos.plan.saved import saved_block
    from generator.panos.push.fleet_registrations import FleetRegistrations
    from generator.panos.push.others_commit import plan_after_others_commits
    from generator.panos.review.fleet_render import fleet_document, fleet_warnings
    from generator.panos.review.plan_render import render_json
    from generator.panos.xmlapi.read_config import read_inherited, read_location
    from generator.panos.xmlapi.sysinfo import check_version, read_system_info
    from generator.safety import refusal

    location = policy.firewall.location
    fragment, fragment_bytes = read_fragment(fragment_path, location, policy.rules.tag)
    desired = registrations_for(policy, fragment_path, fragment, state_path)
    precheck = load_precheck(fragment_path)
    client = connect(policy, credentials)
    info = read_system_info(client)  # plan refuses what push would refuse: the version gate
    device_warnings = check_version(info)
    admin = admin_of(policy, credentials, client)

    def read_and_plan() -> tuple[DeviceConfig, Plan]:
        device = read_location(client, location)
        running = read_location(client, location, running=True)
        return device, build_plan(fragment, device, tag=policy.rules.tag, admin=admin,
                                  bottom_rule=policy.rules.bottom_rule, safety=policy.safety,
                                  running=running, inherited=lambda: read_inherited(client, location))

    # another admin's commit still running: wait for it (firewall.commit_timeout), as push does
    device, the_plan = plan_after_others_commits(client, read_and_plan, lambda made: made[1], admin,
                                                 policy.firewall.commit_timeout)
    fleet = _fleet(policy, client, desired is not None)
    regs = None
    if fleet is not None and desired is not None:  # Panorama: each firewall's own registrations
        regs = FleetRegistrations(client, fleet, desired)
        registry: Registry | None = Registry(regs.read(), desired)
    else:
        registry = _registry(client, policy, device, desired)
    inventory = load_inventory(fragment_path)
    doc = build_document(the_plan, fragment, device, precheck=precheck, inventory=inventory,
                         registry=registry)
    doc["device"] = info.describe()
    doc["warnings"] = [*device_warnings, *doc["warnings"]]
    membership_refusal = None
    current: dict[str, frozenset[str]] = registry.before if registry is not None else {}
    if fleet is not None:  # Panorama: the firewalls push reaches, and which are connected
        committing = bool(the_plan.has_changes or the_plan.pending)
        doc["devices"] = fleet_document(fleet, committing if policy.firewall.push_to_devices else None)
        if any(d["commit_all"] == "push" for d in doc["devices"]):  # an Out of Sync firewall gets a push
            doc["summary"]["has_changes"] = True
        doc["warnings"] += fleet_warnings(fleet, policy.firewall.push_to_devices)
    if regs is not None and desired is not None:
        m = doc["membership"] = fleet_membership(doc["membership"], regs.registries(), desired, inventory)
        doc["summary"]["registrations"] = {"register": len(m["register"]), "unregister": len(m["unregister"])}
        doc["summary"]["has_changes"] |= bool(m["register"] or m["unregister"])
        doc["warnings"] += [e for e in regs.problems() if "not connected" not in e]
        membership_refusal = next(iter(regs.guards(policy.safety)), None)
    elif desired is not None:  # the guard on mass unregistration
        membership_refusal = next(iter(registration_guards(policy.safety, desired, current)), None)
    if out:
        inputs = Inputs.of(policy, fragment_bytes, desired.digest if desired is not None else None)
        binding = bind(inputs, the_plan, device, serial=info.serial, panorama=location.is_panorama,
                       membership=None if desired is None else
                       regs.binding() if regs is not None else (desired.tags, current))
        write_atomic(out, render_json(dict(doc, saved=saved_block(binding))))
    return Planned(doc, the_plan, refusal(the_plan) or membership_refusal)


def _registry(client: PanosClient, policy: Policy, device: DeviceConfig, desired: Desired | None
              ) -> Registry | None:
    """The User-ID registrations before and after, when membership is or was dynamic (else None:
    nothing to read, static groups hold their members)."""
    from generator.panos.plan.membership import Registry, dynamic_on
    from generator.panos.push.registrations import read_registered
    from generator.registrations_file import tag_prefix

    if desired is None and not dynamic_on(device, policy.rules.tag):
        return None
    if policy.firewall.location.is_panorama and desired is None:
        return None  # a switch back on Panorama: the firewalls' registrations stay, unread (membership.md)
    return Registry(read_registered(client, policy.firewall.location, tag_prefix(policy.rules.tag)), desired)


def _fleet(policy: Policy, client: PanosClient, dynamic: bool) -> Fleet | None:
    """On Panorama, when the firewalls matter (membership dynamic, push_to_devices): who they are."""
    from generator.panos.xmlapi.fleet import read_fleet

    location = policy.firewall.location
    if not location.is_panorama or not (dynamic or policy.firewall.push_to_devices):
        return None
    return read_fleet(client, location)


def push(policy: Policy, credentials: Credentials, fragment_path: str, *, force: bool = False,
         description: str | None = None, plan_file: str | None = None,
         state_path: str | None = None) -> Pushed:
    """Plan and apply in one call (octoDNS's sync): the fragment onto the firewall, committed.

    `plan_file`: apply only if everything the saved plan binds is unchanged (plan/binding.py).
    With membership dynamic, registrations.yaml is checked against the state (`state_path`,
    default state.yaml beside the fragment) before anything is read from the firewall, and the
    registrations are part of the push's transaction (push/apply.py, push/registrations.py):
    read under the config lock, sent only once the saved plan and every guard have passed.
    """
    from generator.panos.config.fragment import read_fragment
    from generator.panos.plan.binding import Inputs
    from generator.panos.plan.document import build_document
    from generator.panos.plan.inventory import load_inventory
    from generator.panos.plan.membership import Registry
    from generator.panos.plan.saved import load_saved_plan
    from generator.panos.push.apply import Pushed, PushSettings
    from generator.panos.push.apply import push as apply

    location = policy.firewall.location
    fragment, fragment_bytes = read_fragment(fragment_path, location, policy.rules.tag)
    desired = registrations_for(policy, fragment_path, fragment, state_path)
    inputs = Inputs.of(policy, fragment_bytes, desired.digest if desired is not None else None)
    saved = load_saved_plan(plan_file, inputs) if plan_file else None  # a bad file costs no request
    client = connect(policy, credentials)
    settings = PushSettings(
        tag=policy.rules.tag,
        bottom_rule=policy.rules.bottom_rule,
        max_delete_percent=policy.safety.max_delete_percent,
        admin=admin_of(policy, credentials, client),
        commit_timeout=policy.firewall.commit_timeout,
        force=force,
        description=description,
        min_existing=policy.safety.min_existing,
        push_to_devices=policy.firewall.push_to_devices,
        saved_plan=saved,
        membership=desired,
        fleet=_fleet(policy, client, desired is not None),  # Panorama: registrations go to each firewall
    )
    result = apply(client, fragment, settings)
    current = result.registrations_before
    registry = Registry(current, desired) if current is not None else None
    if registry is None and result.device is not None:
        registry = _registry(client, policy, result.device, None)
    document = None if result.device is None else build_document(  # what push's summary says
        result.plan, fragment, result.device, inventory=load_inventory(fragment_path), registry=registry)
    return Pushed(result, client.request_count, bool(client.key_owner), document)
