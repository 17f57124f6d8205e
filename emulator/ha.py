"""`show high-availability state`: what a firewall or Panorama of an HA pair says about itself.

Two shapes, as published answers of live devices show them and pan-os-python reads them
(`panos/base.py` `show_highavailability_state`: `result/group/local-info/state` on a firewall,
`result/local-info/state` on Panorama; `result/enabled` `no` when HA is off):

- a firewall: `<enabled>yes</enabled><group><mode>Active-Passive</mode><local-info><state>active
  </state>...</local-info><peer-info><state>passive</state>...</peer-info><running-sync>...`.
  States (PAN-OS Administrator's Guide, "HA Firewall States"): initial, active, passive,
  suspended, non-functional, tentative, and in an active/active pair active-primary and
  active-secondary (both peers active; "Device Priority and Preemption").
- Panorama: `<enabled>yes</enabled><local-info><priority>primary</priority><state>primary-active
  </state>...</local-info><peer-info>...</peer-info><running-sync>synchronized</running-sync>`,
  no `<group>`. States join the configured priority and the role: `primary-active`,
  `secondary-passive`, `secondary-suspended` (live answers of Panorama 10.1 and 11.0 in
  cdot65/pan-os-upgrade `tests/test_flatten_xml_to_dict.py` and its `components/ha.py`), and
  after a failover the secondary is active: `secondary-active` and `primary-passive` (Panorama
  Administrator's Guide, "Priority and Failover on Panorama in HA", which words them
  active-secondary and passive-primary).

Whether a peer is active is the client's business: the emulator answers the state it was given
(`DeviceProfile.ha_state` / `ha_peer`) and, like PAN-OS, still accepts configuration on a
passive peer (docs/emulator.md "HA").
"""

from __future__ import annotations

from lxml import etree

from emulator.device import DeviceProfile
from emulator.responses import result_success


def _child(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, tag)
    node.text = text
    return node


def _priority(state: str) -> str:
    """Panorama's configured priority, as its state spells it (`secondary-active` -> secondary)."""
    return "secondary" if "secondary" in state.split("-") else "primary"


def _info(tag: str, state: str, mgmt_ip: str, panorama: bool) -> etree._Element:
    node = etree.Element(tag)
    if panorama:
        _child(node, "priority", _priority(state))
    _child(node, "state", state)
    _child(node, "mgmt-ip", mgmt_ip)
    return node


def ha_state_answer(device: DeviceProfile, panorama: bool) -> etree._Element:
    """The whole `<response>` for this device's profile."""
    enabled = etree.Element("enabled")
    enabled.text = "yes" if device.ha_state else "no"
    if not device.ha_state:
        return result_success([enabled])
    local = _info("local-info", device.ha_state, "127.0.0.1", panorama)
    peer = _info("peer-info", device.ha_peer or "unknown", "127.0.0.2", panorama)
    _child(peer, "conn-status", "up" if device.ha_peer else "down")
    sync = etree.Element("running-sync")
    sync.text = "synchronized"
    if panorama:
        return result_success([enabled, local, peer, sync])
    group = etree.Element("group")
    _child(group, "mode", "Active-Active" if device.ha_state.startswith("active-") else "Active-Passive")
    for node in (local, peer, sync):
        group.append(node)
    return result_success([enabled, group])
