"""Talking to PAN-OS: the XML API client, and the snapshot, plan and push steps built on it.

Modules, one step each: client (HTTP + error envelope), fragment (read out/fragment.xml),
canonical (compare XML as PAN-OS means it), device (what a `get` of the location holds),
diff (the plan), batch (the multi-config requests and their inverse), push (the sequence),
snapshot (out/rulebase.xml), report (text/json/markdown), commands (the CLI entry points),
vocab (what PAN-OS calls things and accepts: name rules, protocols, kinds, rulebases; read by
every step; the emulator states these facts on its own).
"""
