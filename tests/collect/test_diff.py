"""One new instance in AWS -> a few added lines in state.yaml, nothing else moves.

Its own module: it changes the estate, and test_estate.py shares one estate across tests.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from generator.collect.step import collect_to_file
from tests.collect.estate import AMI, collect_estate


def test_one_new_instance_is_a_small_diff(mocked: None, tmp_path: Path) -> None:
    estate = collect_estate(tmp_path)
    ids = estate["ids"]
    estate["ec2"].run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=ids["sn_plain"],
                                SecurityGroupIds=[ids["sg_web"]])
    after = tmp_path / "after.yaml"
    collect_to_file(estate["policy"], after)
    before_lines = estate["out"].read_text().splitlines()
    diff = [line for line in difflib.unified_diff(before_lines, after.read_text().splitlines(), n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert all(line.startswith("+") for line in diff)  # nothing else moved
    # the instance (id, name, state: 3 lines) and its interface in the VPC's interfaces (14 keys,
    # +1 private ip, +1 group), in two places of the file: two hunks, each of added lines only
    assert 17 <= len(diff) <= 22, diff
    assert len(yaml.safe_load(after.read_text())["vpcs"]) == len(estate["state"]["vpcs"])
