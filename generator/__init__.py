"""awspan: keep a PAN-OS firewall in step with what AWS security groups allow.

Data flow (one module or package per step):
    collect/   AWS APIs -> out/state.yaml
    generate/  state.yaml + policy.yaml (+ out/rulebase.xml) -> out/fragment.xml   (pure)
    rulematch/ the offline "already allowed" check used by generate
    panos/     the PAN-OS XML API client, snapshot, plan and push
    events     the Lambda entry point that reacts to CloudTrail
"""

__version__ = "0.1.0"
