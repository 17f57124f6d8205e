"""One XML API request -> one response: authentication, dispatch by `type`/`action`,
fault injection and the request log. Transport-free, so the HTTP layer stays thin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from emulator import op_cmds, target
from emulator.config_ops import Applied, ConfigOp, parse_element
from emulator.faults import FaultPlan
from emulator.responses import (
    CODE_INVALID_COMMAND,
    CODE_MALFORMED,
    CODE_NOT_PRESENT,
    CODE_OP_FAILED,
    CODE_SUCCESS,
    CODE_SUCCESS_CHANGED,
    CODE_UNKNOWN_COMMAND,
    ApiError,
    auth_error,
    error_element,
    msg_success,
    result_success,
    serialize,
)
from emulator.store import BatchError, Store
from emulator.userid import user_id_response

CONFIG_ACTIONS = ("get", "show", "set", "edit", "delete", "move", "rename", "multi-config")


@dataclass
class Reply:
    status: int
    body: bytes


class Users:
    """Accounts and their API keys (stable per emulator instance, not guessable across runs)."""

    def __init__(self, users: dict[str, str]) -> None:
        self._passwords = dict(users)
        self._salt = secrets.token_bytes(16)
        self._keys = {self.key_for(name): name for name in users}

    def key_for(self, user: str) -> str:
        if user not in self._passwords:
            raise KeyError(f"no such user {user!r}")
        digest = hmac.new(self._salt, f"{user}:{self._passwords[user]}".encode(), hashlib.sha256).digest()
        return "LUFRPT" + base64.urlsafe_b64encode(digest).decode()

    def check_password(self, user: str, password: str) -> bool:
        expected = self._passwords.get(user)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    def user_for_key(self, key: str | None) -> str | None:
        return self._keys.get(key or "")


class Api:
    """The XML API: `handle(params, header_key)` for each HTTP request."""

    def __init__(self, store: Store, users: Users) -> None:
        self.store = store
        self.users = users
        self.faults = FaultPlan()
        self.requests: list[dict[str, str | int | None]] = []
        self.request_count = 0
        self.largest_request = 0  # bytes on the wire (body and query) of the largest request seen
        self._mutex = threading.Lock()

    def reset_counters(self) -> None:
        with self._mutex:
            self.requests.clear()
            self.request_count = 0
            self.largest_request = 0

    def recorded(self) -> list[dict[str, str | int | None]]:
        """A copy of the request log (type, action, xpath or cmd, admin; never keys or passwords)."""
        with self._mutex:
            return [dict(entry) for entry in self.requests]

    def saw_request(self, size: int) -> None:
        """The HTTP layer's measure of a request as it arrived (form body plus query)."""
        with self._mutex:
            self.largest_request = max(self.largest_request, size)

    def refused_too_large(self, size: int) -> None:
        """A request the HTTP layer refused for its size (HTTP 413): counted and logged, not parsed."""
        with self._mutex:
            self.request_count += 1
        self._record({"type": None, "action": "refused: too large", "bytes": size, "admin": None})

    def _record(self, entry: dict[str, str | int | None]) -> None:
        with self._mutex:
            self.requests.append(entry)

    def handle(self, params: dict[str, str], header_key: str | None) -> Reply:
        with self._mutex:
            self.request_count += 1
        req_type = params.get("type", "")
        if req_type == "keygen":
            self._record({"type": "keygen", "action": None, "admin": params.get("user")})
            return self._keygen(params)
        admin = self.users.user_for_key(header_key or params.get("key"))
        if admin is None:
            self._record({"type": req_type, "action": params.get("action"), "admin": None})
            return Reply(403, serialize(auth_error()))
        try:
            if params.get("target"):
                return Reply(200, serialize(self._targeted(admin, params)))
            if req_type == "config":
                return Reply(200, serialize(self._config(admin, params)))
            if req_type == "op":
                return Reply(200, serialize(self._op(admin, params)))
            if req_type == "commit":
                return Reply(200, serialize(self._commit(admin, params)))
            if req_type == "user-id":
                self._record({"type": "user-id", "action": None, "admin": admin})
                self._fault("user-id")
                return Reply(200, serialize(user_id_response(self.store.registry, params.get("cmd"))))
            self._record({"type": req_type, "action": params.get("action"), "admin": admin})
            raise ApiError(CODE_UNKNOWN_COMMAND, f"Unknown command: type={req_type or '(missing)'}")
        except _Prebuilt as err:
            return Reply(200, serialize(err.root))
        except ApiError as err:
            return Reply(err.http_status, serialize(error_element(err)))

    # -- target=SERIAL: a request Panorama redirects to one of its firewalls (target.py) -----
    def _targeted(self, admin: str, params: dict[str, str]) -> etree._Element:
        req_type, serial = params.get("type", ""), params.get("target", "")
        entry: dict[str, str | int | None] = {"type": req_type, "action": params.get("action"),
                                              "cmd": params.get("cmd"), "admin": admin, "target": serial,
                                              "vsys": params.get("vsys")}
        self._record(entry)
        fw = target.target_firewall(self.store, serial)
        if req_type == "user-id":
            self._fault("user-id")
            return target.user_id(fw, params.get("cmd"))
        if req_type == "op":
            cmd = op_cmds.parse_cmd(params.get("cmd"))
            entry["action"] = op_cmds.describe(cmd)
            self._fault(op_cmds.classify(cmd))
            return target.op(fw, op_cmds.describe(cmd), cmd, self.store.device.ipv6_text == "exploded")
        raise ApiError(CODE_INVALID_COMMAND, f"type={req_type or '(missing)'} with a target firewall "
                       "is not implemented by the emulator")

    # -- keygen -------------------------------------------------------------------------
    def _keygen(self, params: dict[str, str]) -> Reply:
        fault = self.faults.take("keygen")
        if fault:
            return Reply(200, serialize(error_element(ApiError(fault.code, fault.message))))
        user, password = params.get("user", ""), params.get("password", "")
        if not self.users.check_password(user, password):
            return Reply(403, serialize(auth_error()))
        key = etree.Element("key")
        key.text = self.users.key_for(user)
        return Reply(200, serialize(result_success([key])))

    def _fault(self, kind: str) -> None:
        fault = self.faults.take(kind)
        if fault:
            raise ApiError(fault.code, fault.message)

    # -- type=config --------------------------------------------------------------------
    def _config(self, admin: str, params: dict[str, str]) -> etree._Element:
        action = params.get("action", "")
        xpath = params.get("xpath")
        entry: dict[str, str | int | None] = {
            "type": "config",
            "action": action,
            "xpath": xpath,
            "admin": admin,
        }
        self._record(entry)
        if action not in CONFIG_ACTIONS:
            raise ApiError(CODE_MALFORMED, f"Unknown config action: {action or '(missing)'}")
        self._fault(action)
        if action in ("get", "show"):
            nodes = self.store.read(xpath or "/config", running=action == "show")
            if action == "get":
                if not nodes:
                    return result_success(code=CODE_NOT_PRESENT, counts=True)
                return result_success(nodes, code=CODE_SUCCESS, counts=True)
            if not nodes:
                raise ApiError(CODE_NOT_PRESENT, "No such node")
            return result_success(nodes)
        if action == "multi-config":
            refusal = self.store.device.multi_config_refusal()
            if refusal:
                raise ApiError(CODE_INVALID_COMMAND, refusal)
            return self._multi_config(admin, params, entry)
        applied = write_one(self.store, admin, action, xpath or "", params.get("element"), params)
        if action == "delete" and applied.missing:
            return msg_success("Object doesn't exist", code=CODE_NOT_PRESENT)
        return msg_success("command succeeded", code=CODE_SUCCESS_CHANGED)

    def _multi_config(self, admin: str, params: dict[str, str], entry: dict) -> etree._Element:
        ops, ids = parse_multi_config(params.get("element"))
        entry["ops"] = len(ops)
        strict = params.get("strict-transactional", "no").strip().lower() == "yes"
        try:
            self.store.write(admin, ops, strict=strict)
        except BatchError as err:
            raise _Prebuilt(_multi_config_failure(ids, err)) from None
        root = etree.Element("response", status="success", code=CODE_SUCCESS_CHANGED)
        for op_id in ids:
            root.append(_op_success(op_id))
        return root

    # -- type=op ------------------------------------------------------------------------
    def _op(self, admin: str, params: dict[str, str]) -> etree._Element:
        entry: dict[str, str | int | None] = {
            "type": "op",
            "action": None,
            "cmd": params.get("cmd"),
            "admin": admin,
            "vsys": params.get("vsys"),
        }
        self._record(entry)
        cmd = op_cmds.parse_cmd(params.get("cmd"))
        entry["action"] = op_cmds.describe(cmd)
        self._fault(op_cmds.classify(cmd))
        return op_cmds.run_op(op_cmds.OpContext(self.store, admin, params.get("vsys")), cmd)

    # -- type=commit --------------------------------------------------------------------
    def _commit(self, admin: str, params: dict[str, str]) -> etree._Element:
        self._record(
            {"type": "commit", "action": params.get("action"), "cmd": params.get("cmd"), "admin": admin}
        )
        self._fault("commit")
        race = self.faults.take("commit-race")
        if race is not None:  # a full commit of every pending change lands first (another session)
            self.store.commit(admin, None, "a full commit from another session")
        if self.faults.take("commit-nothing") is not None:
            return msg_success("There are no changes to commit.", code=CODE_SUCCESS)
        cmd = op_cmds.parse_cmd(params.get("cmd") or "<commit></commit>")
        if cmd.tag == "commit-all" and params.get("action") == "all":
            return self._commit_all(admin, cmd)
        if cmd.tag != "commit":
            raise ApiError(CODE_MALFORMED, f"type=commit expects a <commit> command, not <{cmd.tag}>")
        description = (cmd.findtext("description") or "").strip()
        partial = cmd.find("partial")
        admins = None
        if partial is not None:
            names = {(m.text or "").strip() for m in partial.findall("admin/member")}
            admins = names or None
        job = self.store.commit(admin, admins, description, fail=self._job_fault)
        if job is None:
            return msg_success("There are no changes to commit.", code=CODE_SUCCESS)
        root = etree.Element("response", status="success", code=CODE_SUCCESS)
        result = etree.SubElement(root, "result")
        msg = etree.SubElement(result, "msg")
        etree.SubElement(msg, "line").text = f"Commit job enqueued with jobid {job.id}"
        etree.SubElement(result, "job").text = str(job.id)
        return root

    def _commit_all(self, admin: str, cmd: etree._Element) -> etree._Element:
        if not self.store.panorama:
            raise ApiError(CODE_INVALID_COMMAND, "commit-all is a Panorama command")
        group = cmd.find("shared-policy/device-group/entry")
        if group is None or not group.get("name"):
            raise ApiError(CODE_MALFORMED, "commit-all: shared-policy/device-group/entry name= is required")
        description = (cmd.findtext("shared-policy/description") or "").strip()
        job = self.store.commit_all(admin, group.get("name", ""), description, merge=_merge_flag(cmd))
        root = etree.Element("response", status="success", code=CODE_SUCCESS)
        result = etree.SubElement(root, "result")
        etree.SubElement(etree.SubElement(result, "msg"), "line").text = f"Job enqueued with jobid {job.id}"
        etree.SubElement(result, "job").text = str(job.id)
        return root

    def _job_fault(self) -> tuple[str, ...] | None:
        fault = self.faults.take("job")
        return (fault.message,) if fault else None


def _merge_flag(cmd: etree._Element) -> bool:
    """commit-all's `<merge-with-candidate-cfg>`: yes or no; absent means yes (pan-python
    lib/pan/commit.py: "default when no <merge-with-candidate-cfg/> is 'yes'")."""
    text = cmd.findtext("shared-policy/merge-with-candidate-cfg")
    if text is None:
        return True
    value = text.strip().lower()
    if value not in ("yes", "no"):
        raise ApiError(CODE_MALFORMED, f"commit-all: merge-with-candidate-cfg is yes or no, not {value!r}")
    return value == "yes"


def write_one(
    store: Store, admin: str, action: str, xpath: str, element: str | None, params: Mapping[str, str]
) -> Applied:
    """One config write as a single-operation request makes it; `params` may carry where/dst
    (move) or newname (rename). Raises the ApiError PAN-OS would report."""
    op = ConfigOp(
        action=action,
        xpath=xpath,
        where=params.get("where"),
        dst=params.get("dst"),
        newname=params.get("newname"),
    )
    if action in ("set", "edit"):
        op.element = parse_element(element, action)
    try:
        return store.write(admin, [op])[0]
    except BatchError as err:
        raise err.error from None


def _op_success(op_id: str) -> etree._Element:
    sub = etree.Element("response", status="success", code=CODE_SUCCESS_CHANGED)
    if op_id:
        sub.set("id", op_id)
    etree.SubElement(sub, "msg").text = "command succeeded"
    return sub


def _multi_config_failure(ids: list[str], err: BatchError) -> etree._Element:
    """A refused multi-config as PAN-OS answers it (pango v0.9.0 `multiconf_test.go`, read the
    same way by pan-python `lib/pan/xapi.py`): `<response status="error" code="13">` holding one
    nested response per operation up to the failing one, that one `status="error"` with its code
    and `<msg><line>` reasons; no message of its own. Nothing of the batch was applied."""
    root = etree.Element("response", status="error", code=CODE_OP_FAILED)
    for op_id in ids[: err.index]:
        root.append(_op_success(op_id))
    inner = error_element(err.error)
    if ids[err.index]:
        inner.set("id", ids[err.index])
    root.append(inner)
    return root


class _Prebuilt(ApiError):
    """An error whose full response element is already built (multi-config)."""

    def __init__(self, root: etree._Element) -> None:
        super().__init__(root.get("code", ""), "multi-config failed")
        self.root = root


def parse_multi_config(text: str | None) -> tuple[list[ConfigOp], list[str]]:
    """The operations of a multi-config element (its root may have any name), and their ids ('' if none)."""
    wrapper = parse_element(text, "multi-config")
    root = wrapper[0]
    if len(wrapper) != 1:
        raise ApiError(
            CODE_MALFORMED, "multi-config: the element must be one root element (e.g. <multi-config>)"
        )
    ops: list[ConfigOp] = []
    ids: list[str] = []
    for position, child in enumerate(root, start=1):
        if child.tag not in ("set", "edit", "delete", "move", "rename"):
            raise ApiError(CODE_MALFORMED, f"multi-config: <{child.tag}> is not an operation")
        op_id = child.get("id") or ""
        xpath = child.get("xpath")
        if not xpath:
            raise ApiError(CODE_MALFORMED, f"multi-config: operation {op_id or position} has no xpath")
        op = ConfigOp(
            action=child.tag,
            xpath=xpath,
            where=child.get("where"),
            dst=child.get("dst"),
            newname=child.get("newname"),
        )
        if child.tag in ("set", "edit"):
            if len(child) == 0:
                raise ApiError(CODE_MALFORMED, f"multi-config: operation {op_id or position} has no element")
            wrapper_op = etree.Element("wrapper")
            for node in list(child):
                wrapper_op.append(node)
            op.element = wrapper_op
        ops.append(op)
        ids.append(op_id)
    if not ops:
        raise ApiError(CODE_MALFORMED, "multi-config: the element holds no operation")
    return ops, ids
