"""The plan of a push, computed without touching the firewall: what differs (diff), how the
rules move into place (order), what is pending (pending), the change set with its blockers
and guards (changes), the saved plan's digests (saved), the registrations delta (membership),
the traffic a change opens or closes (traffic) and the plan document people review (document)."""
