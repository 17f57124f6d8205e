"""The firewall's XML API: HTTP and its errors (transport, neterrors, client), where the
firewall is and how to log in (env), which peer of an HA pair is active (ha), config locks
(locks, lockinfo), the device's version (sysinfo) and the reads of its configuration
(read_config: the location; snapshot: out/rulebase.xml)."""
