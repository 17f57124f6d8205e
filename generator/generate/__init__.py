"""`awspan generate`: state.yaml + policy.yaml (+ rulebase.xml) -> fragment.xml, a pure function.

Steps, one module each:
    state.py       load state.yaml (fast YAML path), validate it, normalize addresses
    schemacheck.py the JSON Schema compiled to fast closures (jsonschema words the errors)
    consistency.py the ids state.yaml must hold once (instances, ENIs, subnets, route tables)
    protect.py     which interfaces are in use and sit behind the firewall (route tables)
    owners.py      what owns an interface that is no instance's, said for people
    permissions.py what one ingress permission allows: sources, service or application
    names.py       PAN-OS object names (legal, unique, stable)
    objects.py     the typed fragment: addresses, groups, services, applications, rules
    model.py       builds it: the objects and rules to emit, deduplicated and sorted
    render.py      Jinja2 templates -> XML, parsed back and validated against schemas/fragment.xsd
    precheck.py    the already-allowed check (generator.rulematch) and precheck.yaml
    step.py        the generate step as a library call (the command: generator.cli.generate)
"""

from generator.generate.model import build_fragment
from generator.generate.objects import Fragment
from generator.generate.render import render_fragment

__all__ = ["Fragment", "build_fragment", "render_fragment"]
