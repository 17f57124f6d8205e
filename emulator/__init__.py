"""A PAN-OS XML API emulator (PAN-OS 10.1 dialect) for awspan's tests and demo.

    from emulator import EmulatorServer
    with EmulatorServer() as emu:          # default_config.xml: vsys1, zones, a clean-up rule
        emu.url, emu.api_key("automation")

It keeps a running and a candidate config, tracks which admin made each candidate change
(partial commit by admin), validates references like PAN-OS (code 12), and supports
locks, commit jobs, revert, `test security-policy-match` and fault injection. See
docs/emulator.md for what it implements and where it knowingly differs from PAN-OS.
"""

from emulator.responses import ApiError
from emulator.server import DEFAULT_USERS, EmulatorServer, default_config

__all__ = ["DEFAULT_USERS", "ApiError", "EmulatorServer", "default_config"]
