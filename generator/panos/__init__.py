"""PAN-OS: the firewall's configuration as awspan reads it, the plan of a push, the XML API, the push.

Subpackages by role, each importing only those listed after it (pyproject.toml's import
contract checks it):

- review: what people read: the plan's text/markdown/json renderers, push's short report;
- push: the batch (multi-config requests under the XML API's 5 MB limit, all or nothing
  across them) and its inverse, verify, commit, commit-all, progress, the User-ID
  registrations' reconciliation;
- xmlapi: the XML API client (transport, request sizes on the wire, errors, keygen), HA,
  config locks, system info, the device reads (the location's config, the rulebase snapshot);
- plan: pure computation, no client: the diff, rule moves, pending state, the change set
  (changes), saved plans, the membership delta, the traffic a change opens or closes
  (traffic), the plan document (document);
- config: the types both sides of a push are read into: the config view, canonical XML,
  containment, field changes, the fragment reader.
"""
